/**
 * Reconciliation: finds container network setups nobody owns any more (a crashed CLI or shim, a reboot) and
 * tears them down. Runs before every setup and before network rm/prune.
 */
import fs from 'node:fs';
import { bootId, procStart } from '../../base/proc.js';
import type { Context } from '../../base/context.js';
import { describeError } from '../../base/errors.js';
import { containerFile, ctrNetStateDir as stateDir } from '../../storage/layout.js';
import { readJson } from '../../storage/atomic.js';
import { liveNetnsInodes, netnsInode } from './netns.js';
import { netnsFile, netStateIds, networkState, type NetState } from './state.js';
import { teardownNetwork } from './teardown.js';

/** The container's init (container.json state.pid, with its start time) still runs: cheaper than a /proc scan. */
function containerProcessAlive(ctx: Context, id: string): boolean {
  try {
    const rec = readJson<{ state?: { pid?: number; pidStart?: string } }>(containerFile(ctx, id));
    const pid = rec?.state?.pid;
    return !!pid && !!rec?.state?.pidStart && procStart(pid) === rec.state.pidStart;
  } catch {
    return false;
  }
}

/**
 * Finds network setups nobody owns any more and tears them down: from before a reboot, whose setup command
 * died before the container started (no process in the namespace), or whose container has exited without
 * its shim cleaning up. `isActive(id)` lets the caller keep a container it knows is running.
 */
export async function cleanupStaleNetworks(ctx: Context, opts: { isActive?: (id: string) => boolean } = {}): Promise<string[]> {
  const ids = netStateIds(ctx);
  if (!ids?.length) return [];
  const boot = bootId();
  let live: Set<number> | undefined;
  const cleaned: string[] = [];
  for (const id of ids) {
    let s: NetState | undefined;
    try {
      s = networkState(ctx, id);
    } catch {
      s = undefined;
    }
    let stale: boolean;
    if (!s) {
      // A directory without state: a setup in progress holds the lock; otherwise it is debris.
      const st = fs.statSync(stateDir(ctx, id), { throwIfNoEntry: false });
      stale = !!st && Date.now() - st.mtimeMs > 60_000;
    } else if (s.delFailed || s.bootId !== boot) stale = true;
    else if (procStart(s.setupPid) === s.setupStart && s.setupStart) stale = false; // its setup is still running
    else if (opts.isActive?.(id) || containerProcessAlive(ctx, id)) stale = false;
    else {
      const ino = netnsInode(netnsFile(ctx, id));
      live ??= liveNetnsInodes();
      stale = ino === undefined || !live.has(ino);
    }
    if (!stale) continue;
    ctx.debug(`tearing down stale network setup of ${id.slice(0, 12)}`);
    try {
      await teardownNetwork(ctx, id);
      cleaned.push(id);
    } catch (e) {
      ctx.warn(`cannot clean up the network of ${id.slice(0, 12)}: ${describeError(e)}`);
    }
  }
  return cleaned;
}
