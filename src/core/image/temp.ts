/**
 * Temp dirs and leases of in-flight pulls and loads, under `<root>/tmp` (see storage/layout.ts): layers are
 * unpacked into a temp dir and renamed into the store only when complete; a lease keeps the layers a pull
 * is about to commit from garbage collection. Both are named `<kind>-<pid>-*`, so those of a process that
 * is gone are recognised and removed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { pidExists } from '../../base/proc.js';
import { tmpDir } from '../../storage/layout.js';

/** Removes temp dirs of conman processes that are gone (interrupted pulls/loads). */
export function cleanStaleTemp(ctx: Context): void {
  const dir = tmpDir(ctx);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^[a-z]+-(\d+)-/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    const alive = pid === process.pid || pidExists(pid);
    if (!alive) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
    // (lease files match the same pattern and go the same way)
  }
}

/**
 * A lease: the diffIDs a running pull/load is about to commit, so that a concurrent rmi/prune does not
 * garbage-collect a layer that is complete but not yet referenced by images.json. Stale leases (dead pid)
 * are removed by cleanStaleTemp.
 */
export function takeLease(ctx: Context, diffIDs: string[]): () => void {
  fs.mkdirSync(tmpDir(ctx), { recursive: true });
  const f = path.join(tmpDir(ctx), `lease-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(f, JSON.stringify(diffIDs));
  return () => fs.rmSync(f, { force: true });
}

/** diffIDs leased by live processes. */
export function leasedLayers(ctx: Context): Set<string> {
  const out = new Set<string>();
  let names: string[] = [];
  try {
    names = fs.readdirSync(tmpDir(ctx));
  } catch {}
  for (const n of names) {
    const m = /^lease-(\d+)-/.exec(n);
    if (!m) continue;
    if (!pidExists(Number(m[1]))) continue;
    try {
      for (const d of JSON.parse(fs.readFileSync(path.join(tmpDir(ctx), n), 'utf8')) as string[]) out.add(d.replace(/^sha256:/, ''));
    } catch {}
  }
  return out;
}

/**
 * While a pull/load runs: on SIGINT/SIGTERM remove this process's temp dirs and leases at once (instead of
 * at the next pull) and exit 130/143. Returns the function that removes the handlers again (a `run` that
 * pulled must get its signals back for the container).
 */
export function hookInterrupt(ctx: Context): () => void {
  const handler = (sig: NodeJS.Signals) => {
    try {
      for (const n of fs.readdirSync(tmpDir(ctx))) if (n.includes(`-${process.pid}-`)) fs.rmSync(path.join(tmpDir(ctx), n), { recursive: true, force: true });
    } catch {}
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** A new temp dir `<root>/tmp/<kind>-<pid>-XXXXXX`. */
export function makeTemp(ctx: Context, kind: string): string {
  fs.mkdirSync(tmpDir(ctx), { recursive: true });
  return fs.mkdtempSync(path.join(tmpDir(ctx), `${kind}-${process.pid}-`));
}
