/**
 * What the network commands ask of the store beyond one network's config: ls with its filters, inspect of
 * several networks, and rm and prune with their in-use checks. A network is removed only after a check,
 * under networks.lock, that no container uses it; `rm -f` first removes those containers, through a
 * function the caller passes (removing a container is the container lifecycle's job, above this layer).
 */
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { networksLock } from '../../storage/layout.js';
import { withLock } from '../../storage/lock.js';
import { readContainer } from '../../storage/containers.js';
import { DEFAULT_NETWORK, getNetwork, listNetworks, readConflist, removeNetworkLocked, type NetworkInfo } from './config.js';
import { cleanupStaleNetworks } from './stale.js';
import { networkUsers } from './usage.js';

const FILTER_KEYS = ['name', 'driver', 'id', 'label'];

/**
 * `network ls`: the store's networks (the default one is written first: it always exists, like podman's),
 * filtered by name=REGEX, id=PREFIX, driver=bridge, label=KEY[=VALUE]. Like podman, values of one key are
 * ORed, different keys ANDed.
 */
export async function findNetworks(ctx: Context, filters: string[] = []): Promise<NetworkInfo[]> {
  await getNetwork(ctx, DEFAULT_NETWORK);
  const nets = listNetworks(ctx);
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const i = f.indexOf('=');
    const k = i < 0 ? f : f.slice(0, i);
    if (!FILTER_KEYS.includes(k)) throw new ConmanError('EINVAL', `invalid filter "${f}": use name=, id=, driver= or label=`);
    byKey.set(k, [...(byKey.get(k) ?? []), i < 0 ? '' : f.slice(i + 1)]);
  }
  const match = (k: string, v: string, n: NetworkInfo): boolean => {
    if (k === 'name') return new RegExp(v).test(n.name);
    if (k === 'driver') return v === 'bridge';
    if (k === 'id') return n.id.startsWith(v);
    const j = v.indexOf('=');
    return j < 0 ? v in n.labels : n.labels[v.slice(0, j)] === v.slice(j + 1);
  };
  return nets.filter((n) => [...byKey].every(([k, vs]) => vs.some((v) => match(k, v, n))));
}

/** `network inspect`: the networks found, and an error for each name that is not. */
export async function inspectNetworks(ctx: Context, names: string[]): Promise<{ found: NetworkInfo[]; errors: unknown[] }> {
  const found: NetworkInfo[] = [];
  const errors: unknown[] = [];
  for (const name of names) {
    try {
      found.push((await getNetwork(ctx, name)).info);
    } catch (e) {
      errors.push(e);
    }
  }
  return { found, errors };
}

function inUse(ctx: Context, name: string, users: string[]): ConmanError {
  const names = users.map((id) => readContainer(ctx, id)?.name ?? id.slice(0, 12));
  return new ConmanError('EINVAL', `network ${name} is in use by container(s) ${names.join(', ')}`, {
    hint: `remove them first, or use conman network rm -f ${name}`,
    exitCode: 2,
  });
}

export interface RemoveOptions {
  /** Remove the containers using the network first (with removeContainer). */
  force?: boolean;
  /** Removes one container (forcibly: stopping it first). Needed with force. */
  removeContainer?: (id: string) => Promise<void>;
}

/** One network name's outcome in removeNetworks: the network's name when removed, else the error. */
export type RemoveOutcome = { ok: true; name: string } | { ok: false; error: unknown };

/**
 * `network rm`: removes each network in turn, yielding each outcome as it comes (so that the command
 * prints as it goes). The default network cannot be removed; one in use only with force.
 */
export async function* removeNetworks(ctx: Context, names: string[], opts: RemoveOptions = {}): AsyncGenerator<RemoveOutcome> {
  await cleanupStaleNetworks(ctx);
  for (const name of names) {
    try {
      yield { ok: true, name: await removeOne(ctx, name, opts) };
    } catch (e) {
      yield { ok: false, error: e };
    }
  }
}

async function removeOne(ctx: Context, name: string, opts: RemoveOptions): Promise<string> {
  const { info } = await getNetwork(ctx, name);
  if (info.name === DEFAULT_NETWORK) throw new ConmanError('EINVAL', `the default network ${info.name} cannot be removed`);
  const users = networkUsers(ctx, info.name);
  if (users.length && !opts.force) throw inUse(ctx, info.name, users);
  // Containers are removed outside the lock: stopping one waits (its stop timeout), and no lock is held across waits.
  const removed = new Set<string>();
  for (const id of users) {
    if (!opts.removeContainer) throw new ConmanError('EINVAL', `network rm -f ${info.name}: no way given to remove its containers`);
    await opts.removeContainer(id);
    removed.add(id);
  }
  await withLock(networksLock(ctx), async () => {
    // a container that joined meanwhile keeps the network (the ones just removed may linger in a failed DEL's state)
    const now = networkUsers(ctx, info.name).filter((id) => !removed.has(id));
    if (now.length) throw inUse(ctx, info.name, now);
    await removeNetworkLocked(ctx, info.name);
  });
  return info.name;
}

/** `network prune`: removes every network no container uses (the default network stays), yielding each name. */
export async function* pruneNetworks(ctx: Context): AsyncGenerator<string> {
  await cleanupStaleNetworks(ctx);
  for (const n of listNetworks(ctx)) {
    if (n.name === DEFAULT_NETWORK) continue;
    const removed = await withLock(networksLock(ctx), async () => {
      if (!readConflist(ctx, n.name) || networkUsers(ctx, n.name).length) return false;
      await removeNetworkLocked(ctx, n.name);
      return true;
    });
    if (removed) yield n.name;
  }
}
