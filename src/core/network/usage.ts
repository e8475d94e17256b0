/** Which containers use a network: configured to (container.json) or attached right now (network state). */
import type { Context } from '../../base/context.js';
import { allNetworkStates } from './state.js';
import { DEFAULT_NETWORK } from './config.js';
import { listIds, readContainer } from '../../storage/containers.js';

export function canonicalNetwork(n: string | undefined): string {
  return !n || n === 'bridge' || n === 'default' ? DEFAULT_NETWORK : n;
}

/** Ids of containers using a network. */
export function networkUsers(ctx: Context, name: string): string[] {
  const users = new Set<string>();
  for (const id of listIds(ctx)) {
    try {
      const rec = readContainer(ctx, id);
      const n = rec?.config?.network;
      if (rec && n !== 'none' && n !== 'host' && canonicalNetwork(n) === name) users.add(id);
    } catch {
      /* unreadable record: not ours to judge */
    }
  }
  for (const s of allNetworkStates(ctx)) if (s.network === name) users.add(s.id);
  return [...users];
}
