/**
 * Reading the k8s-file log the shim writes: `<RFC3339Nano> stdout|stderr F|P <text>`, P records continue
 * on the next one. --tail counts whole lines, --since/--until filter by time, -f follows until the container
 * stops (polling the file; no lock is held). readLogs is what `logs` calls; without any of those options it
 * takes the fast path of ./logs-copy.ts.
 */
import fs from 'node:fs';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { logFile } from '../../storage/layout.js';
import { resolveContainer } from './record.js';

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

export interface LogsOptions {
  /** only the last N lines (-1: all) */
  tail?: number;
  /** prefix each line with its RFC3339Nano time and a space */
  timestamps?: boolean;
  /** only lines since / until this time or duration (see parseTime) */
  since?: string;
  until?: string;
  /** keep reading until the container stops */
  follow?: boolean;
}

/**
 * Where the output goes: slices of one stream, to be written in order (their buffers may be reused once the
 * call returned or its promise resolved). `copied` is true on the fast path, where the log is copied in big
 * chunks (at most 1024 slices, 4 MB), false for parsed lines (one stream's lines up to ~1 MB at a time).
 */
export type LogWrite = (stream: 1 | 2, data: Buffer[], copied: boolean) => void | Promise<void>;

/** `logs`: the output of a container (name, id or id prefix), as the options select it. */
export async function readLogs(ctx: Context, ref: string, opts: LogsOptions, write: LogWrite): Promise<void> {
  if (opts.tail !== undefined && (!Number.isInteger(opts.tail) || opts.tail < -1)) throw new ConmanError('EINVAL', `invalid --tail ${opts.tail}`);
  const since = opts.since !== undefined ? parseTime(opts.since, '--since') : undefined;
  const until = opts.until !== undefined ? parseTime(opts.until, '--until') : undefined;
  const rec = resolveContainer(ctx, ref);
  const file = logFile(ctx, rec.id);
  if (!opts.follow && !opts.timestamps && opts.tail === undefined && since === undefined && until === undefined) {
    const { copyLog } = await import('./logs-copy.js');
    await copyLog(file, (stream, data) => write(stream, data, true));
    return;
  }
  const carry = new Map<string, LogLine>();
  // consecutive lines of one stream go out in one write of up to 1 MB (a write per line costs a syscall
  // each: most of the time of `logs` on a big log); the order of stdout and stderr records is kept
  const emit = async (lines: LogLine[]) => {
    let batch: Buffer[] = [];
    let bytes = 0;
    let batchStream: string | undefined;
    const flush = async () => {
      if (!batch.length) return;
      const b = batch;
      batch = [];
      bytes = 0;
      await write(batchStream === 'stdout' ? 1 : 2, b, false);
    };
    for (const l of lines) {
      if (since !== undefined || until !== undefined) {
        const t = tsMillis(l.ts);
        if (since !== undefined && t < since) continue;
        if (until !== undefined && t > until) continue;
      }
      if (l.stream !== batchStream || bytes >= 1 << 20) {
        await flush();
        batchStream = l.stream;
      }
      if (opts.timestamps) {
        const ts = Buffer.from(`${l.ts} `);
        batch.push(ts);
        bytes += ts.length;
      }
      batch.push(l.data);
      bytes += l.data.length;
    }
    await flush();
  };
  // a last partial record (output that did not end with a newline) is shown as it is
  const flushPartial = () => {
    const rest = [...carry.values()];
    carry.clear();
    return rest.sort((x, y) => (x.ts < y.ts ? -1 : 1));
  };
  const first = parseLog(readLogFile(file), carry);
  let lines = first.lines;
  if (!opts.follow) lines = [...lines, ...flushPartial()];
  if (opts.tail !== undefined && opts.tail >= 0) lines = opts.tail === 0 ? [] : lines.slice(-opts.tail);
  await emit(lines);
  if (!opts.follow) return;
  let offset = first.used;
  const { current } = await import('./state.js');
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
      const p = parseLog(chunk, carry);
      offset += p.used;
      await emit(p.lines);
      continue;
    }
    if (!running) {
      await emit(flushPartial());
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
