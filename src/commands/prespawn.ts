/**
 * `run` is the one command whose latency is dominated by starting a second node process (the shim). main.ts
 * calls prespawnFor(argv) before yargs parses anything, so the shim's startup overlaps the CLI's own option
 * parsing too; the run handler then takes it with takePrespawned(). Until taken it is unref'd: if the command
 * fails to parse, the CLI still exits, fd 3 closes, and the shim (which never got a config) exits as well.
 */
import type { ShimHandle } from '../core/runtime/shim-client.js';

// kept on globalThis: the loader's small prespawn bundle (src/prespawn-entry.ts) and the CLI bundle each have
// their own copy of this module
const slot = globalThis as { __conmanPrespawned?: ShimHandle | null };

/** The first two words of a command line that are not options (nor the values of the global options that take one). */
export function commandWord(argv: string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (['--root', '--runroot', '--runtime', '--log-level'].includes(a)) i++;
      continue;
    }
    words.push(a);
  }
  return words;
}

export function prespawnFor(argv: string[], installDir: string): void {
  if (slot.__conmanPrespawned !== undefined) return; // done (or taken) already
  const w = commandWord(argv);
  const isRun = w[0] === 'run' || (w[0] === 'container' && w[1] === 'run');
  if (!isRun || argv.includes('--help') || argv.includes('-h')) return;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawnShim } = require('../core/runtime/shim-client.js') as typeof import('../core/runtime/shim-client.js');
    const pre = spawnShim({ installDir } as import('../base/context.js').Context);
    pre.sock.unref();
    slot.__conmanPrespawned = pre;
  } catch {
    slot.__conmanPrespawned = undefined;
  }
}

export function takePrespawned(): ShimHandle | undefined {
  const p = slot.__conmanPrespawned ?? undefined;
  slot.__conmanPrespawned = null;
  if (p) p.sock.ref();
  return p;
}
