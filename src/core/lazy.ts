/**
 * node:child_process costs ~3 ms to load (it pulls dgram, net's socket list, ...). `run` no longer spawns
 * through it (src/core/native.ts spawns the shim, the shim spawns runc), so the modules that call it only on
 * some paths (bridge networking, `stty` for a terminal) take it when they do.
 */
import { createRequire } from 'node:module';

let cp: typeof import('node:child_process') | undefined;

export function childProcess(): typeof import('node:child_process') {
  cp ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return cp;
}
