/**
 * Tearing down a container's network when it has exited (the shim's cleanup, or rm): the netns first, then
 * CNI DEL through the chain recorded at setup, the state, and the peers' hosts files. Idempotent.
 */
import fs from 'node:fs';
import type { Context } from '../../base/context.js';
import { describeError } from '../../base/errors.js';
import { ctrNetStateDir as stateDir, ctrNetLock as ctrLock, netLock } from '../../storage/layout.js';
import { withLock } from '../../storage/lock.js';
import { writeJsonAtomic } from '../../storage/atomic.js';
import { chainDel } from './cni.js';
import { runTool } from './exec.js';
import { removeNetns } from './netns.js';
import { netnsFile, networkState, refreshPeers, stateFile, type NetState } from './state.js';

/** The teardown, with the container's lock (ctrNetLock) held: teardownNetwork, and setup redoing a setup. */
export async function teardownLocked(ctx: Context, id: string): Promise<void> {
  const dir = stateDir(ctx, id);
  const netns = netnsFile(ctx, id);
  let s: NetState | undefined;
  try {
    s = networkState(ctx, id);
  } catch (e) {
    ctx.warn(`network state of ${id.slice(0, 12)} is unreadable, removing it: ${describeError(e)}`);
  }
  if (!s) {
    await removeNetns(netns, ctx.installDir);
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  const st = s;
  await withLock(netLock(ctx, st.network), async () => {
    // The namespace goes first: with no process left in it the kernel destroys it and its eth0, and with it
    // the veth pair, which is cheaper than the plugin deleting the veth (that waits for RCU). DEL then runs
    // with no netns (CNI allows that): it releases the lease and the port forwarding.
    await removeNetns(netns, ctx.installDir);
    const inv = { containerId: st.id, netns: '', ifname: st.ifname, runtimeConfig: st.runtimeConfig, cniPath: st.cniPath };
    const prev = Object.keys(st.result ?? {}).length ? st.result : undefined; // none if ADD never finished
    let errors = await chainDel(st.list, st.plugins, inv, prev);
    if (errors.length) errors = await chainDel(st.list, st.plugins, inv, prev); // one retry (e.g. xtables lock)
    // A process still holding the namespace (e.g. something nsenter'ed into it) keeps the veth alive: delete it.
    const hostVeth = (st.result.interfaces ?? []).find((i) => !i.sandbox && /^veth/.test(i.name))?.name;
    if (hostVeth && fs.existsSync(`/sys/class/net/${hostVeth}`)) await runTool('ip', ['link', 'del', hostVeth], { timeout: 30_000 });
    if (errors.length) {
      ctx.warn(`network teardown of ${st.name || st.id.slice(0, 12)}: ${errors.join('; ')} (will retry)`);
      writeJsonAtomic(stateFile(ctx, id), { ...st, netnsPath: undefined, delFailed: errors });
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    refreshPeers(ctx, st.network, id);
  });
}

/**
 * Tears down a container's network: CNI DEL (releases the lease, the veth, the port forwarding), removes
 * the netns and the state, updates peers' hosts files. Idempotent; needs no CLI (the shim calls it).
 */
export async function teardownNetwork(ctx: Context, id: string): Promise<void> {
  if (!fs.existsSync(stateDir(ctx, id))) return;
  await withLock(ctrLock(ctx, id), () => teardownLocked(ctx, id));
}
