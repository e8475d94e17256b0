/**
 * ps and inspect: read container.json (and exit.json) files directly, no locks, no runc, so the cost stays
 * flat as containers grow. Here too: ps's selection (--all, --filter, --latest, --last) and inspect's
 * lookup of a name (a container, else an image). What they print is in src/cli/views/container.ts.
 */
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { liveState, reconcileAfterReboot } from './state.js';
import { resolveContainer } from './record.js';
import { listIds, readContainer, type ContainerRecord } from '../../storage/containers.js';
import type { ImageRecord } from '../../storage/images.js';

/** Every container with its live state, newest first; a damaged record is skipped with a warning. */
export async function listContainers(ctx: Context): Promise<ContainerRecord[]> {
  await reconcileAfterReboot(ctx); // after a reboot the first reader makes the records right
  const out: ContainerRecord[] = [];
  for (const id of listIds(ctx)) {
    let rec: ContainerRecord | undefined;
    try {
      rec = readContainer(ctx, id);
    } catch (e) {
      ctx.warn(`container ${id.slice(0, 12)}: ${(e as Error).message} (conman rm -f ${id.slice(0, 12)} removes it)`);
      continue;
    }
    if (!rec) continue;
    out.push({ ...rec, state: liveState(ctx, rec) });
  }
  out.sort((a, b) => (a.created < b.created ? 1 : -1));
  return out;
}

export interface PsQuery {
  /** containers in every state (default: running ones only) */
  all?: boolean;
  /** KEY=VALUE filters: name, id, status, label, ancestor, exited, before, since */
  filters?: string[];
  /** only the latest created container */
  latest?: boolean;
  /** the n last created containers */
  last?: number;
}

const PS_FILTERS = ['name', 'id', 'status', 'label', 'ancestor', 'exited', 'before', 'since'];
const STATES = ['created', 'running', 'paused', 'stopped', 'exited', 'unknown', 'stopping', 'removing'];

/** The containers `ps` shows, newest first. */
export async function queryContainers(ctx: Context, q: PsQuery = {}): Promise<ContainerRecord[]> {
  const everything = await listContainers(ctx);
  let list = everything;
  const filters = q.filters ?? [];
  // -l and -n N look at containers in every state, as podman's do
  if (!q.all && !q.latest && q.last === undefined && !filters.some((f) => f.startsWith('status='))) list = list.filter((r) => r.state.status === 'running' || r.state.status === 'stopping');
  // like podman: values of one key are ORed, different keys ANDed
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const i = f.indexOf('=');
    if (i < 0) throw new ConmanError('EINVAL', `invalid filter "${f}": expected KEY=VALUE`);
    const k = f.slice(0, i);
    if (!PS_FILTERS.includes(k)) throw new ConmanError('EINVAL', `invalid filter "${k}": supported are ${PS_FILTERS.join(', ')}`);
    byKey.set(k, [...(byKey.get(k) ?? []), f.slice(i + 1)]);
  }
  const createdOf = (ref: string) => {
    const r = everything.find((c) => c.name === ref || c.id.startsWith(ref));
    if (!r) throw new ConmanError('ENOSUCHCTR', `no container with name or ID "${ref}" found: no such container`);
    return r.created;
  };
  const match = (k: string, v: string, r: ContainerRecord): boolean => {
    switch (k) {
      case 'name': return new RegExp(v).test(r.name);
      case 'id': return r.id.startsWith(v);
      case 'status': return r.state.status === v || (v === 'running' && r.state.status === 'stopping') || (v === 'stopped' && r.state.status === 'exited');
      case 'label': {
        const j = v.indexOf('=');
        return j < 0 ? v in r.config.labels : r.config.labels[v.slice(0, j)] === v.slice(j + 1);
      }
      case 'ancestor': return r.image.name.includes(v) || r.image.id.startsWith(v);
      case 'exited': return r.state.status === 'exited' && String(r.state.exitCode) === v;
      case 'before': return r.created < createdOf(v);
      default: return r.created > createdOf(v); // since
    }
  };
  for (const v of byKey.get('status') ?? [])
    if (!STATES.includes(v)) throw new ConmanError('EINVAL', `invalid filter: unknown container state: ${v}`);
  list = list.filter((r) => [...byKey].every(([k, vs]) => vs.some((v) => match(k, v, r))));
  if (q.latest) list = list.slice(0, 1);
  if (q.last !== undefined && q.last >= 0) list = list.slice(0, q.last);
  return list;
}

/** One container by name, id or id prefix, with its live state. */
export function getContainer(ctx: Context, ref: string): ContainerRecord {
  const rec = resolveContainer(ctx, ref);
  return { ...rec, state: liveState(ctx, rec) };
}

export type InspectType = 'all' | 'container' | 'image';

/** What `inspect` shows for a name: a container, else (type 'all') an image of that name, like podman. */
export async function findInspected(ctx: Context, ref: string, type: InspectType): Promise<{ container: ContainerRecord } | { image: ImageRecord }> {
  if (type !== 'image') {
    try {
      return { container: getContainer(ctx, ref) };
    } catch (e) {
      if (type === 'container' || !(e instanceof ConmanError) || e.code !== 'ENOSUCHCTR') throw e;
    }
  }
  const { findImage } = await import('../image/store.js');
  const img = await findImage(ctx, ref);
  if (!img) throw new ConmanError('ENOSUCHCTR', `no such object: "${ref}"`);
  return { image: img };
}

/** What `container prune` removes: exited and created containers, matching every label=KEY[=VALUE] filter. */
export async function pruneCandidates(ctx: Context, filters: string[] = []): Promise<ContainerRecord[]> {
  return (await listContainers(ctx)).filter((r) => {
    if (r.state.status !== 'exited' && r.state.status !== 'created') return false;
    let skip = false;
    for (const f of filters) {
      const m = /^label=([^=]+)(?:=(.*))?$/.exec(f);
      if (m) skip ||= m[2] === undefined ? !(m[1]! in r.config.labels) : r.config.labels[m[1]!] !== m[2];
    }
    return !skip;
  });
}
