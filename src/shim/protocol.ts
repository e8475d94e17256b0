/**
 * The attach protocol between the CLI and the shim (fd 3 of the shim, and the attach socket):
 * frames of [1 byte stream][4 bytes big-endian length][payload].
 * Streams: 0 stdin (to the container; an empty payload means EOF), 1 stdout, 2 stderr,
 * 3 control (JSON: start config, started/failed reports, signal, resize), 4 exit (JSON {exitCode, error?}).
 * Imports nothing: the shim, the core and the CLI all bundle it.
 */
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const CONTROL = 3;
export const EXIT = 4;

export function frame(stream: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.allocUnsafe(5);
  head[0] = stream;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/**
 * The largest payload a frame may announce. The biggest legitimate frames are output and stdin chunks (one
 * read of a pipe, socket or pty: at most 64 KB) and the start config (a few KB of JSON); a header announcing
 * more is a broken or hostile peer, and is refused instead of buffered.
 */
export const MAX_FRAME = 16 * 1024 * 1024;

/**
 * Incremental decoder: push chunks, get complete frames via the callback. A frame announcing more than
 * MAX_FRAME is reported once through onError, and everything the peer sends after it is dropped (the stream
 * has lost its framing); the owner decides what to do with the connection.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private broken = false;
  constructor(
    private readonly onFrame: (stream: number, payload: Buffer) => void,
    private readonly onError?: (err: Error) => void,
  ) {}
  push(chunk: Buffer): void {
    if (this.broken) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1);
      if (len > MAX_FRAME) {
        this.broken = true;
        this.buf = Buffer.alloc(0);
        this.onError?.(new Error(`frame of ${len} bytes exceeds the ${MAX_FRAME}-byte limit`));
        return;
      }
      if (this.buf.length < 5 + len) break;
      const stream = this.buf[0]!;
      const payload = this.buf.subarray(5, 5 + len);
      this.buf = this.buf.subarray(5 + len);
      this.onFrame(stream, payload);
    }
  }
}

/** The start config: the first control frame the CLI sends a new shim. */
export interface ShimConfig {
  id: string;
  root: string;
  runroot: string;
  runtime: string;
  installDir: string;
  bundle: string;
  runcRoot: string;
  pidFile: string;
  runcLog: string;
  logPath: string;
  exitPath: string;
  attachPath: string;
  stdin: boolean;
  tty: boolean;
  /** the fd-3 client wants the output and the exit code (foreground run, start -a) */
  foreground: boolean;
  rows?: number;
  cols?: number;
  /** cgroup file whose `oom_kill N` line counts OOM kills (memory.events on v2, memory.oom_control on v1) */
  oomFile?: string;
  /** --rm: exit.json is not fsynced (the container is removed right after) */
  autoRemove?: boolean;
}
