/**
 * The seam between the shim's main (src/shim/main.ts) and the two ways it runs runc: under a pty for -t
 * (./pty.ts) and `runc run -d` with pipes under a subreaper (./pipes.ts). Types only: nothing to load.
 */
import type { Readable } from 'node:stream';

/** What main gives a runner. */
export interface ShimHost {
  /** a chunk of the container's stdout/stderr (or of runc's, before the container started) */
  output(stream: number, chunk: Buffer): void;
  /** runc reported the container's pid: tell the CLI, flush what was held back */
  markStarted(pid: number): void;
  /** the pid in runc's pid file, 0 when not (yet) there */
  readPid(): number;
  /** the container's pid once known, else 0 */
  containerPid(): number;
  /** the foreground client's socket is full: the container's pipes stay paused until it drains */
  backpressured(): boolean;
  /** runc could not be started: the message becomes part of the `failed` report */
  runcFailed(message: string): void;
  /** runc (-t) or the container's init (-d) is gone, with this status (128+N for signal N) */
  exited(code: number | null, signal: NodeJS.Signals | null): void;
}

/** What a runner fills in (main owns the object): how to reach the container's stdin and terminal. */
export interface ContainerIO {
  writeStdin?: (b: Buffer) => void;
  endStdin?: () => void;
  resize?: (cols: number, rows: number) => void;
  /** streams main pauses while the foreground client cannot keep up */
  pausables: Readable[];
}
