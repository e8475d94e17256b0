/**
 * Reading the k8s-file log the shim writes: `<RFC3339Nano> stdout|stderr F|P <text>`, P records continue
 * on the next one. --tail counts whole lines, --since/--until filter by time, -f follows until the container
 * stops (polling the file; no lock is held).
 */
import fs from 'node:fs';
import { ConmanError } from '../../base/errors.js';

export interface LogLine {
  ts: string;
  stream: 'stdout' | 'stderr';
  data: Buffer; // with its trailing newline unless it was the last partial record
}

/** Parses complete records of a buffer; returns lines and the byte offset of the unparsed rest. */
export function parseLog(buf: Buffer, carry: Map<string, LogLine> = new Map()): { lines: LogLine[]; used: number } {
  const lines: LogLine[] = [];
  let pos = 0;
  for (;;) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) break;
    const rec = buf.subarray(pos, nl + 1);
    pos = nl + 1;
    const s1 = rec.indexOf(32);
    const s2 = rec.indexOf(32, s1 + 1);
    const s3 = rec.indexOf(32, s2 + 1);
    if (s1 < 0 || s2 < 0 || s3 < 0) continue;
    const ts = rec.subarray(0, s1).toString();
    const stream = rec.subarray(s1 + 1, s2).toString() as 'stdout' | 'stderr';
    const tag = rec.subarray(s2 + 1, s3).toString();
    let data = rec.subarray(s3 + 1);
    if (tag === 'P') data = data.subarray(0, data.length - 1);
    const prev = carry.get(stream);
    const line: LogLine = prev ? { ts: prev.ts, stream, data: Buffer.concat([prev.data, data]) } : { ts, stream, data };
    if (tag === 'P') carry.set(stream, line);
    else {
      carry.delete(stream);
      lines.push(line);
    }
  }
  return { lines, used: pos };
}

/** --since/--until: RFC3339 time, unix seconds, or a duration like 10m, 1h30m, 45s before now. */
export function parseTime(v: string, what: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const dur = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(v);
  if (dur && v) return Date.now() - ((Number(dur[1] ?? 0) * 60 + Number(dur[2] ?? 0)) * 60 + Number(dur[3] ?? 0)) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new ConmanError('EINVAL', `invalid ${what} "${v}": expected a time (RFC3339 or unix seconds) or a duration like 10m`);
  return t;
}

/** Milliseconds of an RFC3339Nano timestamp (sub-ms digits ignored). */
export const tsMillis = (ts: string) => Date.parse(ts.replace(/(\.\d{3})\d+/, '$1'));

export function readLogFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}
