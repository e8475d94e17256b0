/**
 * `rm`: a stopped container's rootfs, network setup, runc state, volatile dir, then its directory and name
 * (record.ts). -f stops a running one first, and removes what is left of one whose container.json is corrupt
 * (salvage.ts).
 */
import fs from 'node:fs';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { processAlive } from '../../base/proc.js';
import { releaseContainer, resolveContainer, withContainer } from './record.js';
import { current, liveState } from './state.js';
import { dropRuncState, unmountRootfs } from './cleanup.js';
import { isRunning, stopContainer } from './stop.js';
import { volatileDir } from '../../storage/layout.js';
import { readContainer, writeContainer, type ContainerRecord } from '../../storage/containers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function removeContainer(ctx: Context, ref: string, opts: { force?: boolean; time?: number } = {}): Promise<ContainerRecord> {
  let rec: ContainerRecord;
  try {
    rec = resolveContainer(ctx, ref);
  } catch (e) {
    // a corrupt container.json: -f still removes whatever is left of the container
    if (opts.force && e instanceof ConmanError && e.code === 'ESTATE') return (await import('./salvage.js')).removeCorrupt(ctx, ref, e);
    throw e;
  }
  const cur = current(ctx, rec.id)!;
  if (isRunning(cur)) {
    if (!opts.force)
      throw new ConmanError(
        'ECTRSTATE',
        `cannot remove container ${rec.id} as it is running - running or paused containers cannot be removed without force: container state improper`,
      );
    await stopContainer(ctx, rec.id, opts.time ?? 0);
  } else {
    // a shim may still be finishing its cleanup
    const end = Date.now() + 10_000;
    while (processAlive(cur.state.shimPid, cur.state.shimStart) && Date.now() < end) await sleep(10);
  }
  if (!readContainer(ctx, rec.id)) return rec; // --rm cleanup removed it
  const r = await withContainer(ctx, rec.id, async (r) => {
    const st = liveState(ctx, r);
    if (st.status === 'running' || st.status === 'stopping')
      throw new ConmanError('ECTRSTATE', `container ${rec.name} was started again while being removed`);
    unmountRootfs(ctx, r.id);
    const { teardownNetworkHook } = await import('../network/hooks.js');
    await teardownNetworkHook(ctx, r);
    dropRuncState(ctx, r.id);
    r.state = { ...st, status: 'removing', mounted: false };
    writeContainer(ctx, r);
    return r;
  });
  fs.rmSync(volatileDir(ctx, rec.id), { recursive: true, force: true });
  await releaseContainer(ctx, r);
  return r;
}
