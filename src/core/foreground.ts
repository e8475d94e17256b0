/**
 * A CLI attached to its container through the shim's fd 3: output frames to our stdout/stderr (our writes
 * to pipes and files are synchronous, so a slow reader slows the shim, which pauses the container's pipes:
 * nothing is dropped), stdin frames from ours with -i (EOF included), signals forwarded like podman's
 * --sig-proxy, and the exit code, which the shim sends after its cleanup (so `run --rm` returns only when
 * the container is gone). If the socket breaks, falls back to the container's recorded state.
 */
import type { Context } from './context.js';
import { STDIN, STDOUT } from '../shim/frames.js';
import type { ShimHandle } from './shim-client.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Set before the container starts so that no frame is missed. */
export function wireOutput(shim: ShimHandle): void {
  shim.onOutput = (stream, payload) => {
    const out = stream === STDOUT ? process.stdout : process.stderr;
    if (!out.write(payload)) {
      shim.sock.pause();
      out.once('drain', () => shim.sock.resume());
    }
  };
}

export async function runForeground(ctx: Context, id: string, shim: ShimHandle, interactive: boolean): Promise<number> {
  const handlers = FORWARDED.map((sig) => {
    const h = () => shim.signal(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  if (interactive) {
    process.stdin.on('data', (d: Buffer) => shim.send(STDIN, d));
    process.stdin.on('end', () => shim.sendStdinEof());
    process.stdin.on('error', () => shim.sendStdinEof());
  }
  let info = await shim.exit;
  for (const [sig, h] of handlers) process.off(sig, h);
  if (interactive) process.stdin.destroy();
  shim.detach();
  if (!info) {
    // the shim's socket broke: the exit record (or reconciled state) tells
    const { current } = await import('./lifecycle.js');
    for (;;) {
      const rec = current(ctx, id);
      if (!rec) return 0; // removed by its --rm cleanup; its code went with it
      if (rec.state.status === 'exited') {
        info = { exitCode: rec.state.exitCode };
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  return info.exitCode < 0 ? 125 : info.exitCode;
}
