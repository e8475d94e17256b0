/**
 * The run/create network flags, checked at create time (so bad input leaves no container behind) and kept
 * in the container's config: `config.network` is 'none' | 'host' | a network name (the default network is
 * stored as 'bridge', like podman), `config.extra.net` holds the rest (NetExtra).
 */
import fs from 'node:fs';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { DEFAULT_NETWORK, infoFromConflist, readConflist } from './config.js';
import { contains, parseCidr, parseIp } from './ipv4.js';
import { parsePublish, publishAll, type PortMapping } from './ports.js';
import { parseAddHost } from './files.js';
import type { NetworkRequest } from './setup.js';
import { conflistFile } from '../../storage/layout.js';

export interface NetFlags {
  network?: string;
  publish?: string[];
  publishAll?: boolean;
  ip?: string;
  networkAlias?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  addHost?: string[];
}

/** What a container's record keeps of its network flags: the request fields setupNetwork takes, plus -P. */
export type NetExtra = Pick<NetworkRequest, 'ip' | 'aliases' | 'dns' | 'dnsSearch' | 'dnsOptions' | 'addHosts'> & {
  ports: PortMapping[];
  publishAll?: boolean;
};

/** Validates the flags; returns the network mode to store and the extra settings. Throws on bad input. */
export function parseNetFlags(ctx: Context, f: NetFlags): { network: string; extra: NetExtra } {
  let network = f.network ?? 'bridge';
  if (network === '') throw new ConmanError('EINVAL', 'invalid --network ""');
  if (network === 'default' || network === DEFAULT_NETWORK) network = 'bridge';
  if (network.includes(',')) throw new ConmanError('EINVAL', `--network ${network}: only one network per container is supported`);
  if (/^(container|ns|slirp4netns|pasta|private):?/.test(network)) {
    throw new ConmanError('EINVAL', `--network ${network} is not supported (use bridge, none, host or a network name)`);
  }
  if (network !== 'bridge' && network !== 'none' && network !== 'host' && !fs.existsSync(conflistFile(ctx, network))) {
    throw new ConmanError('ENOSUCHNET', `unable to find network with name or ID ${network}: network not found`, {
      hint: `create it with: conman network create ${network}`,
    });
  }
  const ports = (f.publish ?? []).flatMap((p) => parsePublish(String(p)));
  const bridged = network !== 'none' && network !== 'host';
  if (!bridged && (ports.length || f.publishAll)) {
    throw new ConmanError('EINVAL', `published ports need a bridge network; --network ${network} has none`);
  }
  if (f.ip !== undefined) {
    if (!bridged) throw new ConmanError('EINVAL', `--ip needs a bridge network, not --network ${network}`);
    const ip = parseIp(f.ip);
    if (ip === undefined) throw new ConmanError('EINVAL', `--ip ${f.ip} is not an IPv4 address`);
    const list = network === 'bridge' ? undefined : readConflist(ctx, network);
    if (list) {
      const info = infoFromConflist(list, conflistFile(ctx, network));
      if (!contains(parseCidr(info.subnet)!, ip)) throw new ConmanError('EINVAL', `--ip ${f.ip} is not in network ${network}'s subnet ${info.subnet}`);
      if (f.ip === info.gateway) throw new ConmanError('EINVAL', `--ip ${f.ip} is network ${network}'s gateway`);
    }
  }
  for (const h of f.addHost ?? []) parseAddHost(String(h));
  for (const d of f.dns ?? []) {
    if (parseIp(String(d)) === undefined && !/^[0-9a-fA-F:]+$/.test(String(d))) throw new ConmanError('EINVAL', `--dns ${d} is not an IP address`);
  }
  const extra: NetExtra = { ports };
  if (f.publishAll) extra.publishAll = true;
  if (f.ip) extra.ip = f.ip;
  if (f.networkAlias?.length) extra.aliases = f.networkAlias.map(String);
  if (f.dns?.length) extra.dns = f.dns.map(String);
  if (f.dnsSearch?.length) extra.dnsSearch = f.dnsSearch.map(String);
  if (f.dnsOption?.length) extra.dnsOptions = f.dnsOption.map(String);
  if (f.addHost?.length) extra.addHosts = f.addHost.map(String);
  return { network, extra };
}

/** -P: adds the image's EXPOSEd ports that are not published explicitly (on free host ports at start). */
export function addExposed(extra: NetExtra, exposed: Record<string, unknown> | undefined): NetExtra {
  if (!extra.publishAll) return extra;
  const more = publishAll(exposed).filter((m) => !extra.ports.some((p) => p.containerPort === m.containerPort && p.protocol === m.protocol));
  return { ...extra, ports: [...extra.ports, ...more] };
}
