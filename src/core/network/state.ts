/**
 * What a container's network setup recorded (`<runroot>/networks/ctr/<id>/state.json`, see index.ts): the
 * reader of one and of all, the members of a network, the hosts files that list a network's members, and
 * the published ports `conman port` shows.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { ctrNetDir, ctrNetStateDir as stateDir } from '../../storage/layout.js';
import { readJson } from '../../storage/atomic.js';
import { readContainer } from '../../storage/containers.js';
import type { CniResult, Conflist, PluginConf } from './cni.js';
import { renderHosts, rewriteInPlace, type HostEntry } from './files.js';
import type { PortMapping } from './ports.js';

export interface NetState {
  schema: 1;
  id: string;
  name: string;
  hostname: string;
  network: string;
  netnsPath?: string;
  ifname: string;
  list: Conflist;
  plugins: PluginConf[];
  runtimeConfig: Record<string, unknown>;
  cniPath?: string[];
  result: CniResult;
  ips: string[];
  gateway?: string;
  mac?: string;
  ports: PortMapping[];
  aliases: string[];
  extraHosts: HostEntry[];
  /** Host paths bind-mounted onto /etc/hosts, /etc/resolv.conf and /etc/hostname. */
  files: { hosts: string; resolv: string; hostname: string };
  setupPid: number;
  setupStart: string;
  bootId: string;
  created: string;
  /** Set when a DEL failed; cleanupStaleNetworks retries it. */
  delFailed?: string[];
}

export const stateFile = (ctx: Context, id: string) => path.join(stateDir(ctx, id), 'state.json');
export const netnsFile = (ctx: Context, id: string) => path.join(stateDir(ctx, id), 'netns');

export function networkState(ctx: Context, id: string): NetState | undefined {
  return readJson<NetState>(stateFile(ctx, id));
}

/** Ids with a network state directory (a setup done, in progress, or left behind). */
export function netStateIds(ctx: Context): string[] | undefined {
  try {
    return fs.readdirSync(ctrNetDir(ctx)).filter((f) => !f.endsWith('.lock'));
  } catch {
    return undefined;
  }
}

/** Network state of every container with a network set up (this store). */
export function allNetworkStates(ctx: Context): NetState[] {
  const ids = netStateIds(ctx) ?? [];
  const out: NetState[] = [];
  for (const id of ids) {
    try {
      const s = networkState(ctx, id);
      if (s) out.push(s);
    } catch {
      /* corrupt: cleanup handles it */
    }
  }
  return out;
}

/** Ids of the containers currently attached to a network. */
export function networkMembers(ctx: Context, net: string): string[] {
  return allNetworkStates(ctx)
    .filter((s) => s.network === net && s.netnsPath)
    .map((s) => s.id);
}

function selfEntries(s: Pick<NetState, 'ips' | 'hostname' | 'name' | 'aliases'>): HostEntry[] {
  const names = [...new Set([s.hostname, s.name, ...s.aliases].filter(Boolean))];
  return s.ips.map((ip) => ({ ip: ip.split('/')[0]!, names }));
}

/** A member's hosts file: itself, its peers on the network, --add-host entries and the host. */
export function hostsFor(s: NetState, members: NetState[]): string {
  const peers = members.filter((m) => m.id !== s.id && m.network === s.network).flatMap((m) => selfEntries(m));
  // like podman: the host, as the container reaches it (the bridge's gateway), unless --add-host names it
  const host = s.gateway && !s.extraHosts.some((e) => e.names.includes('host.containers.internal'))
    ? [{ ip: s.gateway, names: ['host.containers.internal', 'host.docker.internal'] }]
    : [];
  return renderHosts({ self: selfEntries(s), peers, extra: [...s.extraHosts, ...host] });
}

/** Rewrites the hosts files of a network's members (but one) after a join or a leave. */
export function refreshPeers(ctx: Context, net: string, exceptId: string): void {
  const members = allNetworkStates(ctx).filter((m) => m.network === net && m.netnsPath);
  for (const m of members) if (m.id !== exceptId) rewriteInPlace(m.files.hosts, hostsFor(m, members));
}

/**
 * `conman port`: the published ports of each container (given ids, or every one with a network set up):
 * the ports in use while set up, else the configured ones that name a host port.
 */
export function publishedPorts(ctx: Context, ids?: string[]): Array<{ id: string; ports: PortMapping[] }> {
  return (ids ?? allNetworkStates(ctx).map((s) => s.id)).map((id) => {
    const s = networkState(ctx, id);
    if (s) return { id, ports: s.ports };
    const rec = readContainer(ctx, id);
    return { id, ports: ((rec?.config?.extra?.ports as PortMapping[] | undefined) ?? []).filter((p) => p.hostPort) };
  });
}
