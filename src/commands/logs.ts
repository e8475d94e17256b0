/** `logs`: reading and following the log is core/container/logs.ts; here the writes to fd 1 and 2. */
import fs from 'node:fs';
import type { Command, WithCtx } from './types.js';

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
    const { readLogs } = await import('../core/container/logs.js');
    const opts = { tail: a.tail, timestamps: a.timestamps, since: a.since, until: a.until, follow: a.follow };
    // the copied log goes out with writev (a closed reader: exit 0); parsed lines through the streams (a
    // closed reader: exit 141, see main.ts)
    await readLogs(a.ctx, a.container, opts, (fd, data, copied) => {
      if (copied) return writeAll(fd, data);
      (fd === 1 ? process.stdout : process.stderr).write(data.length === 1 ? data[0]! : Buffer.concat(data));
    });
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
