/**
 * The two places where container networking plugs into the lifecycle (issue 5 fills these in):
 * - setupNetworkHook: called by startContainer under the container's lock, after the rootfs is mounted and
 *   before the spec is written and the shim starts runc. Returns a netns path to join (undefined: runc makes
 *   a fresh empty one, i.e. `--network none`; ignored for `--network host`) and extra bind mounts.
 * - teardownNetworkHook: called by cleanupContainer (in the shim when the container exits, or by rm/start
 *   when the shim died) under the container's lock. Must be idempotent.
 * Keep imports here lazy: this module is bundled into the shim.
 *
 * The network settings live in rec.config.network ('bridge' | 'none' | 'host' | a network name) and
 * rec.config.extra.net (NetExtra, src/core/network/options.ts). setupNetwork writes the container dir's
 * hosts, resolv.conf and hostname (in place), which startContainer bind-mounts.
 */
import fs from 'node:fs';
import { ctrNetStateDir } from '../../storage/layout.js';
import type { Context } from '../../base/context.js';
import type { NetExtra } from './options.js';
import type { NetStatus } from './report.js';
import { type ContainerRecord } from '../../storage/containers.js';

export interface NetworkSetup {
  netnsPath?: string;
  extraMounts?: Array<{ source: string; destination: string; readonly?: boolean }>;
}

export async function setupNetworkHook(ctx: Context, rec: ContainerRecord): Promise<NetworkSetup> {
  const c = rec.config;
  const x = (c.extra?.net ?? { ports: [] }) as NetExtra;
  const { setupNetwork } = await import('./setup.js');
  const s = await setupNetwork(ctx, {
    id: rec.id,
    name: rec.name,
    hostname: c.hostname,
    network: c.network,
    ports: x.ports,
    ip: x.ip,
    aliases: x.aliases,
    dns: x.dns,
    dnsSearch: x.dnsSearch,
    dnsOptions: x.dnsOptions,
    addHosts: x.addHosts,
  });
  // ps/inspect read what the container got from its record (see network/report.ts); startContainer persists it.
  const status: NetStatus = { network: s.network, ips: s.ips, gateway: s.gateway, mac: s.mac, ports: s.ports };
  rec.config.extra = { ...rec.config.extra, netStatus: status };
  return { netnsPath: s.netnsPath };
}

export async function teardownNetworkHook(ctx: Context, rec: ContainerRecord): Promise<void> {
  if (rec.config.network === 'host') return;
  // nothing set up (--network none, or torn down already): don't load the network code (the shim's exit path;
  // teardownNetwork would return at the same check)
  if (fs.existsSync(ctrNetStateDir(ctx, rec.id))) {
    const { teardownNetwork } = await import('./teardown.js');
    await teardownNetwork(ctx, rec.id);
  }
  if (rec.config.extra?.netStatus) delete rec.config.extra.netStatus; // cleanupContainer/rm persist the record
}
