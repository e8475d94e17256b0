/**
 * Helpers for the container tests: a store with the shared busybox image pulled, mount-leak checks, polling.
 */
import fs from 'node:fs';
import assert from 'node:assert/strict';
import { newStore, show, type Result, type Store } from './lib/conman.js';
import { sharedRegistry } from './lib/registry.js';

export const IMG = () => `${sharedRegistry()}/busybox:latest`;

export interface CStore extends Store {
  /** runs conman and asserts exit 0; returns stdout */
  ok(args: string[], opts?: { input?: string | Buffer }): string;
  /** mount points under this store's root (from /proc/self/mountinfo) */
  mounts(): string[];
  /** container dirs on disk */
  containerDirs(): string[];
}

const stores: Store[] = [];

/** Removes every container of every store this file made (register with node:test's after()). */
export function cleanupStores(): void {
  for (const s of stores.splice(0)) s.run(['rm', '-a', '-f', '-t', '0']);
}

export function cstore(prefix: string): CStore {
  const s = newStore(prefix);
  stores.push(s);
  const c = s as CStore;
  c.ok = (args, opts) => {
    const r = s.run(args, opts);
    assert.equal(r.code, 0, `conman ${args.join(' ')}: ${show(r)}`);
    return r.stdout;
  };
  c.mounts = () =>
    fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(s.root) || m.startsWith(s.runroot));
  c.containerDirs = () => {
    try {
      return fs.readdirSync(`${s.root}/containers`).filter((n) => /^[0-9a-f]{64}$/.test(n));
    } catch {
      return [];
    }
  };
  // pull once so that timings and outputs of the tests are about containers
  c.ok(['pull', '-q', IMG()]);
  return c;
}

export async function waitFor<T>(fn: () => T | undefined | false, ms = 15000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(st);
  } catch {
    return false;
  }
}

export function inspect(s: Store, ref: string): Record<string, any> {
  const r = s.run(['inspect', ref]);
  assert.equal(r.code, 0, show(r));
  return JSON.parse(r.stdout)[0];
}

export type { Result };
export { show };
