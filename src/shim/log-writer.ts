/**
 * The container's log in podman's k8s-file format: `<RFC3339Nano> stdout|stderr F|P <text>`, one record per
 * line; P marks a line continued in the next record. Every chunk is written here (synchronously) before any
 * client sees it, so that the log never misses what a client got.
 */
import fs from 'node:fs';
import { STDOUT } from './protocol.js';

const NL = Buffer.from('\n');

function timestamp(): string {
  const iso = new Date().toISOString(); // ...ss.mmmZ
  const sub = (process.hrtime.bigint() % 1000000n).toString().padStart(6, '0');
  return `${iso.slice(0, -1)}${sub}Z`;
}

export class LogWriter {
  private fd: number;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'a');
  }

  write(stream: number, chunk: Buffer): void {
    if (this.fd < 0) return;
    const name = stream === STDOUT ? 'stdout' : 'stderr';
    const ts = timestamp();
    const parts: Buffer[] = [];
    const full = Buffer.from(`${ts} ${name} F `);
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        parts.push(Buffer.from(`${ts} ${name} P `), chunk.subarray(start), NL);
        break;
      }
      parts.push(full, chunk.subarray(start, nl + 1));
      start = nl + 1;
    }
    try {
      // one writev(2) of the record pieces (no copy into one buffer); a short write finishes with plain writes
      const n = fs.writevSync(this.fd, parts);
      let total = 0;
      for (const p of parts) total += p.length;
      if (n < total) {
        const rest = Buffer.concat(parts).subarray(n);
        let off = 0;
        while (off < rest.length) off += fs.writeSync(this.fd, rest, off);
      }
    } catch {
      /* disk full: the clients still get the output */
    }
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
