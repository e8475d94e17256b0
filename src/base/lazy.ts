/**
 * Built-ins that cost ~3 ms each to load, taken by modules that need them only on some paths. `run` no longer
 * spawns through node:child_process (src/core/native.ts spawns the shim, the shim spawns runc): bridge
 * networking and `stty` for a terminal take it when they do; node:crypto is for making network ids.
 */
import { createRequire } from 'node:module';

let cp: typeof import('node:child_process') | undefined;

export function childProcess(): typeof import('node:child_process') {
  cp ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return cp;
}

let crypto: typeof import('node:crypto') | undefined;

export function nodeCrypto(): typeof import('node:crypto') {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return crypto;
}
