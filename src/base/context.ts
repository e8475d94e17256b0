/**
 * The global options every command receives: where state lives, how loud to be, which runtime to call.
 * Built once in src/main.ts from flags and environment; core functions take it as their first argument.
 */
import path from 'node:path';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const LEVELS: LogLevel[] = ['error', 'warn', 'info', 'debug'];

export const DEFAULT_ROOT = '/var/lib/conman';
export const DEFAULT_RUNROOT = '/run/conman';

export interface Context {
  /** Persistent state: images, layers, containers' config, logs and exit records. */
  root: string;
  /** Volatile state (tmpfs): shim pids, sockets, runc state, network namespaces. */
  runroot: string;
  /** OCI runtime binary. */
  runtime: string;
  logLevel: LogLevel;
  /** Where conman's own files (dist/, native/) live, for spawning the shim. */
  installDir: string;
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

export interface GlobalFlags {
  root?: string;
  runroot?: string;
  runtime?: string;
  logLevel?: string;
}

export function makeContext(flags: GlobalFlags, installDir: string, env = process.env): Context {
  const root = path.resolve(flags.root || env.CONMAN_ROOT || DEFAULT_ROOT);
  // A custom root gets its own volatile root beside it unless one is named, so two stores never share runtime state.
  const runroot = path.resolve(
    flags.runroot || env.CONMAN_RUNROOT || (root === DEFAULT_ROOT ? DEFAULT_RUNROOT : path.join(root, 'run')),
  );
  const level = (flags.logLevel || env.CONMAN_LOG_LEVEL || 'warn') as LogLevel;
  const levelIdx = LEVELS.indexOf(level) < 0 ? 1 : LEVELS.indexOf(level);
  const emit = (lvl: number, tag: string) => (msg: string) => {
    if (levelIdx >= lvl) process.stderr.write(`conman ${tag}: ${msg}\n`);
  };
  return {
    root,
    runroot,
    runtime: flags.runtime || env.CONMAN_RUNTIME || 'runc',
    logLevel: LEVELS[levelIdx]!,
    installDir,
    debug: emit(3, 'debug'),
    info: emit(2, 'info'),
    warn: emit(1, 'warning'),
  };
}
