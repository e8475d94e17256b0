/**
 * Runs the real, built CLI (bin/conman) against a private store, the way a user's script would.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testTmp } from './tmp.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONMAN = path.join(REPO, 'bin', 'conman');

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Store {
  root: string;
  runroot: string;
  env: NodeJS.ProcessEnv;
  /** Runs conman synchronously; input is written to its stdin. */
  run(args: string[], opts?: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string }): Result;
  /** Runs conman asynchronously. */
  runAsync(args: string[], opts?: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Result>;
}

/** A fresh store (root + runroot) under the suite's scratch directory. */
export function newStore(prefix = 'store'): Store {
  const base = fs.mkdtempSync(path.join(testTmp(), `${prefix}-`));
  const root = path.join(base, 'root');
  const runroot = path.join(base, 'run');
  const env = { ...process.env, CONMAN_ROOT: root, CONMAN_RUNROOT: runroot };
  return {
    root,
    runroot,
    env,
    run(args, opts = {}) {
      const r = spawnSync(CONMAN, args, {
        env: { ...env, ...opts.env },
        cwd: opts.cwd,
        input: opts.input ?? '',
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 512 * 1024 * 1024,
      });
      return { code: r.status, signal: r.signal, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    },
    runAsync(args, opts = {}) {
      return new Promise((resolve) => {
        const p = spawn(CONMAN, args, { env: { ...env, ...opts.env } });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        p.stdout.on('data', (d) => out.push(d));
        p.stderr.on('data', (d) => err.push(d));
        const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
        p.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
        });
        p.stdin.end(opts.input ?? '');
      });
    },
  };
}

/** Formats a result for assertion messages. */
export function show(r: Result): string {
  return `exit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}\n--- stdout\n${r.stdout.slice(0, 4000)}\n--- stderr\n${r.stderr.slice(0, 4000)}`;
}
