/**
 * What a container's state really is, computed from files only (no runc, no locks): container.json, the
 * shim's exit.json, /proc for the shim and the container's init, and <runroot>/alive for reboots.
 * Reads (ps, inspect, wait) use the result in memory; commands that change a container persist it, and
 * after a reboot reconcileAfterReboot persists it for every container.
 */
import fs from 'node:fs';
import { bootId, processAlive } from '../../base/proc.js';
import type { Context } from '../../base/context.js';
import { aliveFile } from '../../storage/layout.js';
import { listIds, readContainer, readExit, writeContainer, type ContainerRecord, type ContainerState } from '../../storage/containers.js';

/** True when the volatile root belongs to an earlier boot (or was wiped): containers running then are gone. */
export function rebootPending(ctx: Context): boolean {
  try {
    return fs.readFileSync(aliveFile(ctx), 'utf8').trim() !== bootId();
  } catch {
    return true;
  }
}

/** Marks the volatile root as belonging to this boot (after the containers were reconciled). */
export function markBoot(ctx: Context): void {
  try {
    fs.mkdirSync(ctx.runroot, { recursive: true });
    fs.writeFileSync(aliveFile(ctx), bootId() + '\n');
  } catch {
    /* read-only runroot */
  }
}

/** The live state of a container, derived without side effects. */
export function liveState(ctx: Context, rec: ContainerRecord, rebooted = false): ContainerState {
  const st = rec.state;
  if (st.status !== 'running' && st.status !== 'stopping') return st;
  const ex = readExit(ctx, rec.id);
  if (ex) {
    return {
      ...st,
      status: 'exited',
      exitCode: ex.exitCode,
      finishedAt: ex.finishedAt,
      error: ex.error ?? st.error,
      oomKilled: !!ex.oomKilled,
      pid: 0,
    };
  }
  const otherBoot = rebooted || (st.bootId !== undefined && st.bootId !== bootId());
  if (!otherBoot) {
    if (processAlive(st.shimPid, st.shimStart)) return st;
    if (processAlive(st.pid, st.pidStart)) return st; // shim gone, container still running: honestly running
  }
  return {
    ...st,
    status: 'exited',
    pid: 0,
    exitCode: -1,
    finishedAt: st.finishedAt ?? new Date().toISOString(),
    error: otherBoot
      ? 'the system rebooted while the container was running: exit code lost'
      : 'the container exited while its conman shim was not running: exit code lost',
  };
}

/** Current record with its live state (no lock). */
export function current(ctx: Context, id: string): ContainerRecord | undefined {
  const rec = readContainer(ctx, id);
  if (!rec) return undefined;
  return { ...rec, state: liveState(ctx, rec) };
}

/** The ids of all containers (`rm --all`), or of the running ones (`stop --all`). */
export function containerIds(ctx: Context, o: { running?: boolean } = {}): string[] {
  const ids = listIds(ctx);
  if (!o.running) return ids;
  return ids.filter((id) => {
    const s = current(ctx, id)?.state.status;
    return s === 'running' || s === 'stopping';
  });
}

/** Makes state right after a reboot or a wiped runroot: every container that was running is exited. */
export async function reconcileAfterReboot(ctx: Context): Promise<void> {
  if (!rebootPending(ctx)) return;
  const { withContainer } = await import('./record.js');
  const { dropRuncState, unmountRootfs } = await import('./cleanup.js');
  for (const id of listIds(ctx)) {
    const rec = readContainer(ctx, id);
    if (!rec || (rec.state.status !== 'running' && rec.state.status !== 'stopping' && !rec.state.mounted)) continue;
    try {
      await withContainer(ctx, id, (r) => {
        const st = liveState(ctx, r, true);
        try {
          unmountRootfs(ctx, id);
        } catch {
          /* stale: leave it */
        }
        dropRuncState(ctx, id);
        r.state = { ...st, mounted: false };
        writeContainer(ctx, r);
      });
    } catch {
      /* removed meanwhile */
    }
  }
  markBoot(ctx);
}
