/**
 * `start` (and the start half of `run` and `restart`): rootfs mount, network setup, spec, shim, runc. The
 * container's lock is held until runc reported the pid (or failed), never longer.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { bootId, procStart } from '../../base/proc.js';
import { native } from '../../base/native.js';
import { resolveContainer, withContainer } from './record.js';
import { liveState } from './state.js';
import { dropRuncState, unmountRootfs } from './cleanup.js';
import { stopContainer } from './stop.js';
import { buildSpec, isCgroupV2 } from '../runtime/spec.js';
import { resolveUser } from '../runtime/user.js';
import { runtimeError } from '../runtime/errors.js';
import { setupNetworkHook } from '../network/hooks.js';
import type { ShimHandle, Started } from '../runtime/shim-client.js';
import {
  attachSocket,
  bundleDir,
  etcFile,
  exitFile,
  logFile,
  mergedDir,
  pidFile,
  runcLogFile,
  runcRoot,
  specFile,
  upperDir,
  volatileDir,
  workDir,
} from '../../storage/layout.js';
import { writeContainer, type ContainerRecord } from '../../storage/containers.js';

export interface StartOptions {
  /** a shim spawned earlier (run spawns it first thing); otherwise one is spawned here */
  shim?: ShimHandle;
  /** the shim streams output and the exit code to this CLI over fd 3 */
  foreground?: boolean;
  rows?: number;
  cols?: number;
}

function mountRootfs(ctx: Context, rec: ContainerRecord): string {
  const merged = mergedDir(ctx, rec.id);
  const lower = ((rec.config.extra?.lowerDirs as string[]) ?? []).slice().reverse();
  if (lower.length === 0) throw new ConmanError('ESTATE', `container ${rec.id.slice(0, 12)} has no image layers recorded`);
  for (const l of lower)
    if (!fs.existsSync(l)) throw new ConmanError('ESTATE', `image layer ${l} of container ${rec.name} is missing`);
  let data = `lowerdir=${lower.join(':')},upperdir=${upperDir(ctx, rec.id)},workdir=${workDir(ctx, rec.id)}`;
  if (rec.config.autoRemove) {
    // like podman, a --rm container's overlay is `volatile`: its unmount does not sync the whole upper
    // filesystem (with other programs' dirty data that took 10-250 ms here). A leftover marker of a crashed
    // volatile mount would make the kernel refuse the mount: it is only ours, drop it.
    data += ',volatile';
    fs.rmSync(path.join(workDir(ctx, rec.id), 'work', 'incompat'), { recursive: true, force: true });
  }
  try {
    native(ctx.installDir).mount('overlay', merged, 'overlay', 0, data);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EBUSY') return merged;
    throw new ConmanError('ERUNTIME', `cannot mount the container's rootfs on ${merged}: ${(e as Error).message}`, { cause: e });
  }
  return merged;
}

/**
 * Starts a created or exited container: mount, network setup, spec, shim, runc. Returns once runc reported
 * the container's pid (or failed). The shim is left attached when opts.foreground.
 */
export async function startContainer(ctx: Context, id: string, opts: StartOptions = {}): Promise<{ rec: ContainerRecord; shim: ShimHandle; started: Started } | undefined> {
  let shim = opts.shim;
  try {
    return await withContainer(ctx, id, async (rec) => {
      const st = liveState(ctx, rec);
      if (st.status === 'running' || st.status === 'stopping') {
        if (opts.foreground) throw new ConmanError('ECTRSTATE', `container ${rec.name} is already running`);
        shim?.abort();
        return undefined;
      }
      if (st.status === 'removing') throw new ConmanError('ECTRSTATE', `container ${rec.name} is being removed`);
      // leftovers of a run whose shim died
      if (rec.state.mounted || rec.state.status !== 'created') unmountRootfs(ctx, id);
      dropRuncState(ctx, id);
      fs.rmSync(exitFile(ctx, id), { force: true });
      const rootfs = mountRootfs(ctx, rec);
      let started: Started;
      try {
        const user = resolveUser(rootfs, rec.config.user);
        const net = await setupNetworkHook(ctx, rec); // network setup: see nethooks.ts
        const extraMounts = [
          { source: etcFile(ctx, id, 'hosts'), destination: '/etc/hosts' },
          { source: etcFile(ctx, id, 'hostname'), destination: '/etc/hostname' },
          { source: etcFile(ctx, id, 'resolv.conf'), destination: '/etc/resolv.conf' },
          ...(net.extraMounts ?? []),
        ];
        const spec = buildSpec(rec, { rootfs, user, netnsPath: net.netnsPath, extraMounts });
        fs.writeFileSync(specFile(ctx, id), JSON.stringify(spec));
        fs.mkdirSync(volatileDir(ctx, id), { recursive: true });
        fs.rmSync(pidFile(ctx, id), { force: true });
        if (!shim) {
          const { spawnShim } = await import('../runtime/shim-client.js');
          shim = spawnShim(ctx);
        }
        try {
          started = await shim.start({
            id,
            root: ctx.root,
            runroot: ctx.runroot,
            runtime: ctx.runtime,
            installDir: ctx.installDir,
            bundle: bundleDir(ctx, id),
            runcRoot: runcRoot(ctx),
            pidFile: pidFile(ctx, id),
            runcLog: runcLogFile(ctx, id),
            logPath: logFile(ctx, id),
            exitPath: exitFile(ctx, id),
            attachPath: attachSocket(ctx, id),
            stdin: rec.config.interactive,
            tty: rec.config.tty,
            foreground: !!opts.foreground,
            autoRemove: rec.config.autoRemove,
            rows: opts.rows,
            cols: opts.cols,
            oomFile: rec.config.memory
              ? isCgroupV2()
                ? `/sys/fs/cgroup/conman/${id}/memory.events`
                : `/sys/fs/cgroup/memory/conman/${id}/memory.oom_control`
              : undefined,
          });
        } catch (e) {
          const f = e as { error?: string };
          if (f && typeof f.error === 'string') throw runtimeError(ctx.runtime, f.error);
          throw e;
        }
      } catch (e) {
        shim?.abort();
        try {
          unmountRootfs(ctx, id);
        } catch {
          /* reported below */
        }
        try {
          const { teardownNetworkHook } = await import('../network/hooks.js');
          await teardownNetworkHook(ctx, rec); // nothing half-made: release what setupNetworkHook took
        } catch {
          /* stale network setups are cleaned up by the next setup */
        }
        rec.state = { ...st, mounted: false, error: (e as Error).message };
        writeContainer(ctx, rec);
        throw e;
      }
      rec.state = {
        status: 'running',
        pid: started.pid,
        pidStart: started.pidStart,
        shimPid: shim.pid,
        shimStart: procStart(shim.pid),
        startedAt: new Date().toISOString(),
        exitCode: 0,
        oomKilled: false,
        mounted: true,
        bootId: bootId(),
      };
      writeContainer(ctx, rec);
      return { rec, shim, started };
    });
  } catch (e) {
    shim?.abort();
    throw e;
  }
}

/** `run`'s start of the container it just created: one with --rm that fails to start is removed again. */
export async function startNew(ctx: Context, rec: ContainerRecord, opts: StartOptions): ReturnType<typeof startContainer> {
  try {
    return await startContainer(ctx, rec.id, opts);
  } catch (e) {
    if (rec.config.autoRemove) await (await import('./remove.js')).removeContainer(ctx, rec.id, { force: true }).catch(() => {});
    throw e;
  }
}

/** `start` without --attach: starts the container and lets its shim run on without this CLI. */
export async function startDetached(ctx: Context, ref: string): Promise<ContainerRecord> {
  const rec = resolveContainer(ctx, ref);
  const r = await startContainer(ctx, rec.id);
  r?.shim.detach();
  return rec;
}

/** `restart`: stops the container (if it runs) and starts it again, detached. */
export async function restartContainer(ctx: Context, ref: string, timeout?: number): Promise<ContainerRecord> {
  const rec = await stopContainer(ctx, ref, timeout);
  const r = await startContainer(ctx, rec.id);
  r?.shim.detach();
  return rec;
}
