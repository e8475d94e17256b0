/**
 * A container's cleanup after its process exited, like `podman container cleanup`: run by the shim itself
 * (so it happens with no CLI alive) and by `rm`/`start` when a shim died before doing it.
 * Network teardown happens here through nethooks.ts.
 */
import fs from 'node:fs';
import type { Context } from '../../base/context.js';
import { native, MNT_DETACH } from '../../base/native.js';
import { releaseContainer, withContainer } from './record.js';
import { liveState } from './state.js';
import { teardownNetworkHook } from '../network/hooks.js';
import { mergedDir, runcStateDir, tombstoneDir, volatileDir } from '../../storage/layout.js';
import path from 'node:path';
import { readContainer, writeContainer, type ContainerRecord, type ExitRecord } from '../../storage/containers.js';

/** Unmounts the container's rootfs; quiet when nothing is mounted. */
export function unmountRootfs(ctx: Context, id: string): void {
  const target = mergedDir(ctx, id);
  const n = native(ctx.installDir);
  for (let i = 0; i < 3; i++) {
    try {
      n.umount(target, 0);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'ENOENT') return; // not mounted (any more)
      if (code === 'EBUSY') {
        try {
          n.umount(target, MNT_DETACH);
        } catch {
          /* fall through to the next attempt */
        }
        continue;
      }
      throw e;
    }
  }
}


/** Removes runc's leftover state for a container whose runc died too (normally `runc run` deletes it). */
export function dropRuncState(ctx: Context, id: string): void {
  const dir = runcStateDir(ctx, id);
  if (!fs.existsSync(dir)) return;
  // state.json left behind by a killed `runc run`: remove the cgroup dirs runc made, then the state dir
  for (const base of ['/sys/fs/cgroup', ...listV1Controllers()]) {
    try {
      fs.rmdirSync(path.join(base, 'conman', id));
    } catch {
      /* busy or absent */
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

function listV1Controllers(): string[] {
  try {
    return fs.readdirSync('/sys/fs/cgroup').map((c) => path.join('/sys/fs/cgroup', c));
  } catch {
    return [];
  }
}

/**
 * Cleans up an exited container: unmount, network teardown, persist exited state; with --rm removes it.
 * Returns false when the container is gone already.
 */
export async function cleanupContainer(
  ctx: Context,
  id: string,
  opts: { removeIfAuto?: boolean; exit?: ExitRecord } = {},
): Promise<boolean> {
  if (!readContainer(ctx, id)) return false;
  let remove = false;
  let rec: ContainerRecord | undefined;
  try {
    rec = await withContainer(ctx, id, async (r) => {
      let st = liveState(ctx, r);
      if (st.status === 'created' && opts.exit) {
        // the CLI that started it died before recording "running"
        st = { ...st, status: 'exited', exitCode: opts.exit.exitCode, finishedAt: opts.exit.finishedAt, error: opts.exit.error, oomKilled: !!opts.exit.oomKilled };
      }
      if (st.status === 'running' || st.status === 'stopping') return r; // restarted meanwhile
      unmountRootfs(ctx, id);
      await teardownNetworkHook(ctx, r); // network teardown: see nethooks.ts
      r.state = { ...st, mounted: false, pid: 0 };
      if (r.config.autoRemove && opts.removeIfAuto !== false) {
        r.state.status = 'removing';
        remove = true;
      }
      writeContainer(ctx, r); // a --rm container's record is renamed into place without fsync (see writeContainer)
      return r;
    });
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOSUCHCTR') return false;
    throw e;
  }
  fs.rmSync(volatileDir(ctx, id), { recursive: true, force: true });
  if (remove && rec) {
    writeTombstone(ctx, rec);
    await releaseContainer(ctx, rec);
  }
  return true;
}

/**
 * `run -d --rm` then `wait`: the container is gone when wait looks, so its exit code is kept for a while in
 * `<runroot>/exited/<id>` (volatile; entries older than an hour are dropped when new ones are written).
 */

function writeTombstone(ctx: Context, rec: ContainerRecord): void {
  try {
    const dir = tombstoneDir(ctx);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, rec.id), `${rec.state.exitCode}\n`);
    // old entries are swept at most every ten minutes (the mtime of .swept says when), not on every removal:
    // a loop of `run --rm` leaves hundreds of them, and stat-ing them all each time cost more than the rest
    // of the cleanup
    const swept = path.join(dir, '.swept');
    let last = 0;
    try {
      last = fs.statSync(swept).mtimeMs;
    } catch {
      /* never swept */
    }
    const now = Date.now();
    if (now - last < 600_000) return;
    fs.writeFileSync(swept, '');
    const old = now - 3600_000;
    for (const f of fs.readdirSync(dir)) {
      if (f === '.swept') continue;
      try {
        if (fs.statSync(path.join(dir, f)).mtimeMs < old) fs.rmSync(path.join(dir, f), { force: true });
      } catch {
        /* raced */
      }
    }
  } catch {
    /* best effort */
  }
}

export function readTombstone(ctx: Context, id: string): number | undefined {
  try {
    const v = Number(fs.readFileSync(path.join(tombstoneDir(ctx), id), 'utf8').trim());
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
