/**
 * `rm -f` of a container whose container.json is corrupt: nothing in it can be trusted, so everything is
 * found from what does not depend on it — the directory name (the id), the name link pointing at it, the
 * runc pid file and the shim's process title (`conman-shim <id>`) — and removed as far as it exists:
 * processes, rootfs mount, runc state, network setup, volatile dir, directory, name.
 */
import fs from 'node:fs';
import { pidExists } from '../../base/proc.js';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { containerDir, containerGoneDir, nameLink, namesDir, pidFile, volatileDir } from '../../storage/layout.js';
import { dropRuncState, unmountRootfs } from './cleanup.js';
import { listIds, lookupName, type ContainerRecord } from '../../storage/containers.js';

function idFor(ctx: Context, ref: string): string | undefined {
  if (/^[0-9a-f]{64}$/.test(ref) && fs.existsSync(containerDir(ctx, ref))) return ref;
  const byName = lookupName(ctx, ref);
  if (byName && fs.existsSync(containerDir(ctx, byName))) return byName;
  if (/^[0-9a-f]+$/.test(ref)) {
    const m = listIds(ctx).filter((i) => i.startsWith(ref));
    if (m.length === 1) return m[0];
  }
  return undefined;
}

function shimPids(id: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').startsWith(`conman-shim ${id}`)) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

export async function removeCorrupt(ctx: Context, ref: string, cause: ConmanError): Promise<ContainerRecord> {
  const id = idFor(ctx, ref);
  if (!id) throw cause;
  ctx.warn(`container ${ref}: ${cause.message}; removing what is left of it`);
  const vdir = volatileDir(ctx, id);
  // the container's init, from runc's pid file: its death ends runc and lets the shim finish
  try {
    const pid = Number(fs.readFileSync(pidFile(ctx, id), 'utf8'));
    if (pid > 1) process.kill(pid, 'SIGKILL');
  } catch {
    /* not running */
  }
  const shims = shimPids(id);
  const end = Date.now() + 5000;
  while (shims.some(pidExists) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  for (const p of shims.filter(pidExists)) process.kill(p, 'SIGKILL');
  unmountRootfs(ctx, id);
  dropRuncState(ctx, id);
  try {
    const { teardownNetwork } = await import('../network/index.js');
    await teardownNetwork(ctx, id);
  } catch (e) {
    ctx.warn(`container ${id}: network teardown: ${(e as Error).message}`);
  }
  fs.rmSync(vdir, { recursive: true, force: true });
  let name = '';
  try {
    for (const n of fs.readdirSync(namesDir(ctx))) {
      if (lookupName(ctx, n) === id) {
        name = n;
        fs.rmSync(nameLink(ctx, n), { force: true });
      }
    }
  } catch {
    /* no names dir */
  }
  const gone = containerGoneDir(ctx, id);
  fs.renameSync(containerDir(ctx, id), gone);
  fs.rmSync(gone, { recursive: true, force: true });
  return { id, name } as ContainerRecord;
}
