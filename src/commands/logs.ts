import fs from 'node:fs';
import type { Command, WithCtx } from './types.js';
import { ConmanError } from '../base/errors.js';

interface LogsArgs {
  container: string;
  tail?: number;
  timestamps?: boolean;
  since?: string;
  until?: string;
  follow?: boolean;
}

export const logsCommand: Command = {
  command: 'logs <container>',
  describe: "Show a container's output",
  builder: (y) =>
    y
      .positional('container', { type: 'string' })
      .option('tail', { type: 'number', describe: 'Show only the last N lines' })
      .option('timestamps', { alias: 't', type: 'boolean', describe: 'Prefix each line with its time' })
      .option('since', { type: 'string', describe: 'Only lines since this time or duration (e.g. 10m)' })
      .option('until', { type: 'string', describe: 'Only lines before this time or duration' })
      .option('follow', { alias: 'f', type: 'boolean', describe: 'Keep printing new output until the container stops' }),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<LogsArgs>;
    const ctx = a.ctx;
    const { resolveContainer } = await import('../core/container/record.js');
    const { logFile } = await import('../storage/layout.js');
    const logs = await import('../core/container/logs.js');
    if (a.tail !== undefined && (!Number.isInteger(a.tail) || a.tail < -1)) throw new ConmanError('EINVAL', `invalid --tail ${a.tail}`);
    const since = a.since !== undefined ? logs.parseTime(a.since, '--since') : undefined;
    const until = a.until !== undefined ? logs.parseTime(a.until, '--until') : undefined;
    const rec = resolveContainer(ctx, a.container);
    const file = logFile(ctx, rec.id);
    const carry = new Map();
    // consecutive lines of one stream go out in one write of up to 1 MB (a write per line costs a syscall
    // each: most of the time of `logs` on a big log); the order of stdout and stderr records is kept
    const emit = (lines: import('../core/container/logs.js').LogLine[]) => {
      let batch: Buffer[] = [];
      let bytes = 0;
      let batchStream: string | undefined;
      const flush = () => {
        if (!batch.length) return;
        (batchStream === 'stdout' ? process.stdout : process.stderr).write(batch.length === 1 ? batch[0]! : Buffer.concat(batch, bytes));
        batch = [];
        bytes = 0;
      };
      for (const l of lines) {
        if (since !== undefined || until !== undefined) {
          const t = logs.tsMillis(l.ts);
          if (since !== undefined && t < since) continue;
          if (until !== undefined && t > until) continue;
        }
        if (l.stream !== batchStream || bytes >= 1 << 20) {
          flush();
          batchStream = l.stream;
        }
        if (a.timestamps) {
          const ts = Buffer.from(`${l.ts} `);
          batch.push(ts);
          bytes += ts.length;
        }
        batch.push(l.data);
        bytes += l.data.length;
      }
      flush();
    };
    // a last partial record (output that did not end with a newline) is shown as it is
    const flushPartial = () => {
      const rest = [...carry.values()] as import('../core/container/logs.js').LogLine[];
      carry.clear();
      return rest.sort((x, y) => (x.ts < y.ts ? -1 : 1));
    };
    if (!a.follow && !a.timestamps && a.tail === undefined && since === undefined && until === undefined) {
      const { copyLog } = await import('../core/container/logs-copy.js');
      await copyLog(file, (stream, data) => writeAll(stream, data));
      return;
    }
    const buf = logs.readLogFile(file);
    const first = logs.parseLog(buf, carry);
    let lines = first.lines;
    if (!a.follow) lines = [...lines, ...flushPartial()];
    if (a.tail !== undefined && a.tail >= 0) lines = a.tail === 0 ? [] : lines.slice(-a.tail);
    emit(lines);
    if (!a.follow) return;
    let offset = first.used;
    const { current } = await import('../core/container/lifecycle.js');
    for (;;) {
      const cur = current(ctx, rec.id);
      const running = !!cur && (cur.state.status === 'running' || cur.state.status === 'stopping');
      let size = 0;
      try {
        size = fs.statSync(file).size;
      } catch {
        return;
      }
      if (size > offset) {
        const fd = fs.openSync(file, 'r');
        const chunk = Buffer.alloc(size - offset);
        fs.readSync(fd, chunk, 0, chunk.length, offset);
        fs.closeSync(fd);
        const p = logs.parseLog(chunk, carry);
        offset += p.used;
        emit(p.lines);
        continue;
      }
      if (!running) {
        emit(flushPartial());
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  },
};

/** writev(2) of the slices to fd 1 or 2 (a non-blocking fd falls back to the stream); a closed reader ends quietly. */
async function writeAll(fd: 1 | 2, data: Buffer[]): Promise<void> {
  let bufs = data;
  while (bufs.length) {
    let n: number;
    try {
      n = fs.writevSync(fd, bufs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(0);
      if (code !== 'EAGAIN') throw e;
      const out = fd === 1 ? process.stdout : process.stderr;
      if (!out.write(Buffer.concat(bufs))) await new Promise((r) => out.once('drain', r));
      return;
    }
    let i = 0;
    while (i < bufs.length && n >= bufs[i]!.length) n -= bufs[i++]!.length;
    bufs = i < bufs.length ? [bufs[i]!.subarray(n), ...bufs.slice(i + 1)] : [];
  }
}
