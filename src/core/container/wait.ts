/**
 * `wait`: until the container exits, then its exit code (kept aside for a --rm container that is gone).
 * `wait --condition`: podman's conditions mapped onto conman's states (created, running, stopping, exited,
 * removing). `stopped`/`exited` (the default) wait for the exit and give the exit code; the others return -1
 * when the container reaches that state (as podman does). Polls the container's files; no lock is held.
 */
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { resolveContainer } from './record.js';
import { current } from './state.js';
import type { ContainerRecord } from '../../storage/containers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const STATE_OF: Record<string, string> = {
  configured: 'created',
  created: 'created',
  initialized: 'created',
  running: 'running',
  stopping: 'stopping',
  removing: 'removing',
};
const EXIT = new Set(['stopped', 'exited']);
const UNSUPPORTED = new Set(['paused', 'healthy', 'unhealthy']);

export function parseConditions(list: string[] | undefined): string[] {
  const out = (list ?? []).flatMap((c) => c.split(',')).map((c) => c.trim().toLowerCase()).filter(Boolean);
  for (const c of out) {
    if (UNSUPPORTED.has(c)) throw new ConmanError('EINVAL', `wait condition "${c}" is not supported by conman (no pause, no healthchecks)`);
    if (!EXIT.has(c) && !(c in STATE_OF))
      throw new ConmanError('EINVAL', `invalid condition "${c}": must be one of configured, created, exited, initialized, removing, running, stopped, stopping`);
  }
  return out.length ? out : ['stopped', 'exited'];
}

/** podman's --interval: a Go duration (250ms, 2s, 1m) or a plain number of milliseconds. */
export function parseInterval(v: string | undefined): number {
  if (v === undefined) return 250;
  const s = String(v).trim();
  if (/^\d+$/.test(s)) return Math.max(1, Number(s));
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s);
  if (!m) throw new ConmanError('EINVAL', `invalid --interval "${v}": expected a duration such as 250ms or 2s`);
  const mult: Record<string, number> = { ms: 1, s: 1000, m: 60000, h: 3600000 };
  return Math.max(1, Number(m[1]) * mult[m[2]!]!);
}

/** Blocks until the container exits; returns its exit code. */
export async function waitContainer(ctx: Context, ref: string): Promise<number> {
  let rec: ContainerRecord;
  try {
    rec = resolveContainer(ctx, ref);
  } catch (e) {
    // `cid=$(conman run -d --rm …); conman wait $cid` after the container already exited and was removed
    if (/^[0-9a-f]{64}$/.test(ref)) {
      const code = (await import('./cleanup.js')).readTombstone(ctx, ref);
      if (code !== undefined) return code;
    }
    throw e;
  }
  for (;;) {
    const cur = current(ctx, rec.id);
    if (!cur) {
      // removed by its --rm cleanup meanwhile: the exit code was kept aside
      const { readTombstone } = await import('./cleanup.js');
      const code = readTombstone(ctx, rec.id);
      if (code !== undefined) return code;
      throw new ConmanError('ENOSUCHCTR', `container ${rec.name} was removed before its exit code could be read`);
    }
    if (cur.state.status === 'exited') return cur.state.exitCode;
    await sleep(cur.state.status === 'created' ? 100 : 20);
  }
}

/** Resolves with the exit code (exit conditions) or -1 (state conditions), whichever is met first. */
export async function waitCondition(ctx: Context, ref: string, conditions: string[], intervalMs: number): Promise<number> {
  const states = new Set(conditions.filter((c) => !EXIT.has(c)).map((c) => STATE_OF[c]!));
  const forExit = conditions.some((c) => EXIT.has(c));
  if (states.size === 0) return waitContainer(ctx, ref);
  const rec = resolveContainer(ctx, ref);
  for (;;) {
    const cur = current(ctx, rec.id);
    if (!cur) {
      if (forExit) return waitContainer(ctx, rec.id); // removed by --rm: its code was kept aside
      throw new ConmanError('ENOSUCHCTR', `no container with name or ID "${ref}" found: no such container`);
    }
    if (states.has(cur.state.status)) return -1;
    if (forExit && cur.state.status === 'exited') return cur.state.exitCode;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
