/**
 * `stop` and `kill`: signals to a running container's init, the wait for its exit and for its shim's cleanup.
 * No lock is held across the stop timeout; the container's lock is taken only to mark it `stopping`.
 */
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { processAlive } from '../../base/proc.js';
import { resolveContainer, withContainer } from './record.js';
import { current, liveState } from './state.js';
import { cleanupContainer } from './cleanup.js';
import { parseSignal } from './options.js';
import { readContainer, writeContainer, type ContainerRecord } from '../../storage/containers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Running or being stopped: the container's process lives. */
export function isRunning(rec: ContainerRecord | undefined): boolean {
  return !!rec && (rec.state.status === 'running' || rec.state.status === 'stopping');
}

/** Waits until the container is no longer running; true if it stopped within ms. */
async function waitStopped(ctx: Context, id: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (!isRunning(current(ctx, id))) return true;
    if (Date.now() >= end) return false;
    await sleep(20);
  }
}

/** After the container stopped: waits for its shim's cleanup; does it here if the shim is gone. */
async function waitCleanedUp(ctx: Context, id: string): Promise<void> {
  const rec = readContainer(ctx, id);
  if (!rec) return;
  const end = Date.now() + 10_000;
  while (processAlive(rec.state.shimPid, rec.state.shimStart) && Date.now() < end) await sleep(10);
  const again = readContainer(ctx, id);
  if (again && (again.state.status === 'running' || again.state.status === 'stopping' || again.state.mounted)) {
    await cleanupContainer(ctx, id);
  }
}

function sendSignal(rec: ContainerRecord, sig: string): void {
  try {
    process.kill(rec.state.pid, sig as NodeJS.Signals);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw new ConmanError('ERUNTIME', `cannot signal container ${rec.name}: ${(e as Error).message}`);
  }
}

/**
 * Moves a live container between `running` and `stopping` (under its lock, only from the other of the two):
 * `stopping` while a stop is under way, so that `wait --condition stopping` sees it; the shim's cleanup turns
 * it into `exited`. Every reader takes `stopping` for running (ps and inspect show it as running).
 */
async function markStatus(ctx: Context, id: string, from: 'running' | 'stopping', to: 'running' | 'stopping'): Promise<void> {
  try {
    await withContainer(ctx, id, (r) => {
      const st = liveState(ctx, r);
      if (st.status !== from) return;
      r.state = { ...st, status: to };
      writeContainer(ctx, r);
    });
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOSUCHCTR') throw e; // removed meanwhile: nothing to mark
  }
}

export async function killContainer(ctx: Context, ref: string, signal = 'SIGKILL'): Promise<ContainerRecord> {
  const sig = parseSignal(signal);
  const rec = resolveContainer(ctx, ref);
  const cur = current(ctx, rec.id)!;
  if (!isRunning(cur) || !processAlive(cur.state.pid, cur.state.pidStart))
    throw new ConmanError('ECTRSTATE', `can only kill running containers. ${rec.id} is in state ${cur.state.status}: container state improper`);
  sendSignal(cur, sig);
  return rec;
}

export async function stopContainer(ctx: Context, ref: string, timeout?: number): Promise<ContainerRecord> {
  const rec = resolveContainer(ctx, ref);
  const cur = current(ctx, rec.id)!;
  if (isRunning(cur)) {
    const t = timeout ?? rec.config.stopTimeout;
    if (processAlive(cur.state.pid, cur.state.pidStart)) {
      await markStatus(ctx, rec.id, 'running', 'stopping');
      if (t > 0) sendSignal(cur, rec.config.stopSignal);
      if (!(await waitStopped(ctx, rec.id, t * 1000))) {
        if (t > 0) ctx.warn(`StopSignal ${rec.config.stopSignal} failed to stop container ${rec.name} in ${t} seconds, resorting to SIGKILL`);
        const again = current(ctx, rec.id);
        if (again && isRunning(again)) sendSignal(again, 'SIGKILL');
        // a process that outlives even SIGKILL (stuck in the kernel) is running again, not stopping forever
        if (!(await waitStopped(ctx, rec.id, 15_000))) await markStatus(ctx, rec.id, 'stopping', 'running');
      }
    }
  }
  await waitCleanedUp(ctx, rec.id);
  return rec;
}
