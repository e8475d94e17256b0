/**
 * `run -t`: runc runs under a pty of node-pty's (loaded only here, and only for -t) and copies between it
 * and the container's terminal. runc stays resident for the container's life; its exit is the container's.
 */
import { createRequire } from 'node:module';
import { signalName } from '../base/signals.js';
import { STDOUT, type ShimConfig } from './protocol.js';
import type { ContainerIO, ShimHost } from './io.js';

export function runUnderPty(c: ShimConfig, args: string[], host: ShimHost, io: ContainerIO): void {
  const req = createRequire(__filename);
  const pty = req('node-pty') as typeof import('node-pty');
  // runc copies between its own terminal (this pty) and the container's: ours must be raw, or it would echo
  // input, buffer lines and turn ^C into signals for runc. node-pty cannot set termios, stty can.
  const p = pty.spawn('/bin/sh', ['-c', 'stty raw -echo 2>/dev/null; exec "$0" "$@"', c.runtime, ...args], {
    cols: c.cols || 80,
    rows: c.rows || 24,
    cwd: c.bundle,
    env: process.env as Record<string, string>,
    name: 'xterm',
    encoding: null, // Buffers: the bytes as the program wrote them
  } as import('node-pty').IPtyForkOptions);
  p.onData((d: string | Buffer) => host.output(STDOUT, typeof d === 'string' ? Buffer.from(d) : d));
  p.onExit(({ exitCode, signal }) =>
    setTimeout(() => host.exited(signal ? null : exitCode, signal ? ((signalName(signal) ?? 'SIGKILL') as NodeJS.Signals) : null), 20),
  );
  io.writeStdin = (b) => (p.write as (d: string | Buffer) => void)(b);
  io.endStdin = () => p.write('\x04');
  io.resize = (cols, rows) => {
    try {
      p.resize(cols, rows);
    } catch {
      /* exited */
    }
  };
}
