/**
 * The network store: one CNI conflist per network in `<root>/networks/<name>.conflist`, written atomically
 * under `<root>/networks/networks.lock`. A conflist is standard CNI (bridge with host-local IPAM, then
 * portmap) plus a top-level "conman" object with the network's id, creation time and labels.
 *
 * The default network `conman` (bridge conman0, 10.89.0.0/24) is written on first use. Its bridge is shared
 * by every store on the host (like podman's default network), so its IPAM leases live in one host-wide
 * directory; user networks get a bridge name and subnet no other network (of any store) or host route uses.
 */
import { nodeCrypto } from '../../base/lazy.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { conflistFile, ipamDir, netUpMarker, networksDir, networksLock } from '../../storage/layout.js';
import { withLock } from '../../storage/lock.js';
import { readJson, writeJsonAtomic } from '../../storage/atomic.js';
import { CNI_VERSION, type Conflist, type PluginConf } from './cni.js';
import { bridgeExists, ensureBridge, removeBridge, type BridgeNet } from './bridge.js';
import { cidrToString, contains, hostRoutes, ipToString, overlaps, parseCidr, parseIp, type Cidr } from './ipv4.js';

export const DEFAULT_NETWORK = 'conman';
export const DEFAULT_BRIDGE = 'conman0';
export const DEFAULT_SUBNET = '10.89.0.0/24';
const RESERVED = new Set(['none', 'host', 'bridge', 'default', 'private', 'container', 'slirp4netns', 'pasta', 'ns']);
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface NetworkInfo extends BridgeNet {
  id: string;
  created: string;
  labels: Record<string, string>;
  internal: boolean;
  file: string;
}


function buildConflist(n: { name: string; bridge: string; subnet: string; gateway: string; id: string; created: string; labels: Record<string, string>; internal: boolean }): Conflist {
  return {
    cniVersion: CNI_VERSION,
    name: n.name,
    conman: { id: n.id, created: n.created, labels: n.labels, internal: n.internal },
    plugins: [
      {
        type: 'bridge',
        bridge: n.bridge,
        isGateway: !n.internal,
        ipMasq: false, // one masquerade rule per network instead (see bridge.ts)
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: n.subnet, gateway: n.gateway }]],
          routes: n.internal ? [] : [{ dst: '0.0.0.0/0' }],
        },
        capabilities: { ips: true },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

export function infoFromConflist(list: Conflist, file: string): NetworkInfo {
  const br = list.plugins.find((p) => p.type === 'bridge') as PluginConf & { bridge?: string; ipam?: { ranges?: Array<Array<{ subnet: string; gateway?: string }>> } };
  const range = br?.ipam?.ranges?.[0]?.[0];
  if (!br || !br.bridge || !range) throw new ConmanError('ESTATE', `network config ${file} has no bridge plugin with an IPAM range`);
  const meta = (list.conman ?? {}) as { id?: string; created?: string; labels?: Record<string, string>; internal?: boolean };
  return {
    name: list.name,
    bridge: br.bridge,
    subnet: range.subnet,
    gateway: range.gateway ?? ipToString(parseCidr(range.subnet)!.base + 1),
    id: meta.id ?? nodeCrypto().createHash('sha256').update(list.name).digest('hex'),
    created: meta.created ?? new Date(0).toISOString(),
    labels: meta.labels ?? {},
    internal: !!meta.internal,
    file,
  };
}

export function readConflist(ctx: Context, name: string): Conflist | undefined {
  return readJson<Conflist>(conflistFile(ctx, name));
}

/** `network exists`: the default network (by any of its names) always does. */
export function networkExists(ctx: Context, name: string): boolean {
  const n = name === 'bridge' || name === 'default' ? DEFAULT_NETWORK : name;
  return n === DEFAULT_NETWORK || !!readConflist(ctx, n);
}

/** Every network of the store (the default one only once it has been written). */
export function listNetworks(ctx: Context): NetworkInfo[] {
  let files: string[] = [];
  try {
    files = fs.readdirSync(networksDir(ctx)).filter((f) => f.endsWith('.conflist'));
  } catch {
    return [];
  }
  const out: NetworkInfo[] = [];
  for (const f of files.sort()) {
    const file = path.join(networksDir(ctx), f);
    const list = readJson<Conflist>(file);
    if (list) out.push(infoFromConflist(list, file));
  }
  return out;
}

/**
 * The default network: conman0 on 10.89.0.0/24, unless the host routes that subnet through another device
 * (a LAN, a VPN); then the first free 10.89.x.0/24. Every store on the host decides the same way.
 */
function defaultInfo(): Omit<NetworkInfo, 'file'> {
  const routes = hostRoutes().filter((r) => r.dev !== DEFAULT_BRIDGE);
  let subnet = parseCidr(DEFAULT_SUBNET)!;
  for (let i = 1; routes.some((r) => overlaps(r.cidr, subnet)) && i < 256; i++) {
    subnet = { base: (parseIp('10.89.0.0')! + i * 256) >>> 0, prefix: 24 };
  }
  return {
    name: DEFAULT_NETWORK,
    bridge: DEFAULT_BRIDGE,
    subnet: cidrToString(subnet),
    gateway: ipToString(subnet.base + 1),
    id: nodeCrypto().createHash('sha256').update(`conman-default-network`).digest('hex'),
    created: new Date().toISOString(),
    labels: {},
    internal: false,
  };
}

/** Resolves `bridge`/`conman`/a name to a stored network, writing the default network on first use. */
export async function getNetwork(ctx: Context, name: string): Promise<{ info: NetworkInfo; list: Conflist }> {
  const n = name === 'bridge' || name === 'default' ? DEFAULT_NETWORK : name;
  let list = readConflist(ctx, n);
  if (!list && n === DEFAULT_NETWORK) {
    list = await withLock(networksLock(ctx), () => {
      const again = readConflist(ctx, n);
      if (again) return again;
      const l = buildConflist(defaultInfo());
      fs.mkdirSync(networksDir(ctx), { recursive: true });
      writeJsonAtomic(conflistFile(ctx, n), l);
      return l;
    });
  }
  if (!list) throw new ConmanError('ENOSUCHNET', `network ${name}: no such network`, { hint: 'see conman network ls' });
  return { info: infoFromConflist(list, conflistFile(ctx, n)), list };
}

export interface CreateOptions {
  subnet?: string;
  gateway?: string;
  bridge?: string;
  internal?: boolean;
  labels?: Record<string, string>;
  ignoreExisting?: boolean;
}

/** Subnets a new network must not overlap: the store's networks and the host's routes (except a bridge's own). */
function usedSubnets(ctx: Context): Array<{ what: string; cidr: Cidr }> {
  const used: Array<{ what: string; cidr: Cidr }> = [];
  for (const n of listNetworks(ctx)) used.push({ what: `network ${n.name}`, cidr: parseCidr(n.subnet)! });
  if (!listNetworks(ctx).some((n) => n.name === DEFAULT_NETWORK)) used.push({ what: `network ${DEFAULT_NETWORK}`, cidr: parseCidr(DEFAULT_SUBNET)! });
  for (const r of hostRoutes()) used.push({ what: `host route ${cidrToString(r.cidr)} on ${r.dev}`, cidr: r.cidr });
  return used;
}

export function validateNetworkName(name: string): void {
  if (!NAME_RE.test(name) || name.length > 200) {
    throw new ConmanError('EINVAL', `network name "${name}" is invalid: use letters, digits, "_", "." and "-", starting with a letter or digit`);
  }
}

/** The first conmanN (N = 1, 2, ...) no network of the store is called; the caller holds networks.lock. */
function defaultName(ctx: Context): string {
  const taken = new Set(listNetworks(ctx).map((n) => n.name));
  let i = 1;
  while (taken.has(`conman${i}`)) i++;
  return `conman${i}`;
}

/**
 * Creates a network. Without a name it gets the first free conmanN, chosen under networks.lock, so that
 * concurrent creates get different names (as they get different subnets and bridges).
 */
export async function createNetwork(ctx: Context, name: string | undefined, opts: CreateOptions = {}): Promise<NetworkInfo> {
  if (name !== undefined) {
    validateNetworkName(name);
    if (RESERVED.has(name)) throw new ConmanError('EINVAL', `network name "${name}" is reserved`);
    if (name === DEFAULT_NETWORK) {
      if (opts.ignoreExisting) return (await getNetwork(ctx, name)).info;
      throw new ConmanError('ENAMEINUSE', `network ${name} already exists (it is the default network)`);
    }
  }
  let subnet: Cidr | undefined;
  if (opts.subnet) {
    subnet = parseCidr(opts.subnet);
    if (!subnet || !/\//.test(opts.subnet)) throw new ConmanError('EINVAL', `subnet "${opts.subnet}" is not an IPv4 CIDR like 10.90.1.0/24`);
    if (subnet.prefix > 30) throw new ConmanError('EINVAL', `subnet ${opts.subnet} is too small (at most /30)`);
  }
  let gateway: number | undefined;
  if (opts.gateway) {
    if (!subnet) throw new ConmanError('EUSAGE', '--gateway needs --subnet');
    gateway = parseIp(opts.gateway);
    if (gateway === undefined) throw new ConmanError('EINVAL', `gateway "${opts.gateway}" is not an IPv4 address`);
    if (!contains(subnet, gateway) || gateway === subnet.base || gateway === (subnet.base | ~((0xffffffff << (32 - subnet.prefix)) >>> 0)) >>> 0) {
      throw new ConmanError('EINVAL', `gateway ${opts.gateway} is not a host address in subnet ${cidrToString(subnet)}`);
    }
  }
  if (opts.bridge !== undefined && (!/^[a-zA-Z0-9_.-]{1,15}$/.test(opts.bridge))) {
    throw new ConmanError('EINVAL', `interface name "${opts.bridge}" is invalid (at most 15 letters, digits, "_", "." or "-")`);
  }
  fs.mkdirSync(networksDir(ctx), { recursive: true });
  return withLock(networksLock(ctx), async () => {
    name ??= defaultName(ctx);
    const existing = readConflist(ctx, name);
    if (existing) {
      if (opts.ignoreExisting) return infoFromConflist(existing, conflistFile(ctx, name));
      throw new ConmanError('ENAMEINUSE', `network ${name} already exists`);
    }
    // Pick a subnet and a bridge name, then claim both on the host by creating the bridge with its address.
    // Another store may be doing the same right now: if it won the name or the subnet, pick again.
    let info: Omit<NetworkInfo, 'file'> | undefined;
    for (let attempt = 0; !info; attempt++) {
      const used = usedSubnets(ctx);
      let sub = subnet;
      if (sub) {
        const clash = used.find((u) => overlaps(u.cidr, sub!));
        if (clash) throw new ConmanError('EINVAL', `subnet ${cidrToString(sub)} overlaps ${clash.what}`);
      } else {
        for (let i = 1; i < 256 * 16 && !sub; i++) {
          const cand: Cidr = { base: (parseIp('10.89.0.0')! + i * 256) >>> 0, prefix: 24 };
          if (!used.some((u) => overlaps(u.cidr, cand))) sub = cand;
        }
        if (!sub) throw new ConmanError('EINVAL', 'no free /24 subnet left in 10.89.0.0-10.104.255.0; give one with --subnet');
      }
      const others = listNetworks(ctx).map((n) => n.bridge);
      let bridge = opts.bridge;
      if (bridge) {
        if (others.includes(bridge) || bridgeExists(bridge)) throw new ConmanError('EINVAL', `interface ${bridge} is already in use`);
      } else {
        for (let i = 1; !bridge; i++) if (!others.includes(`conman${i}`) && !bridgeExists(`conman${i}`)) bridge = `conman${i}`;
      }
      const cand = {
        name,
        bridge,
        subnet: cidrToString(sub),
        gateway: ipToString(gateway ?? sub.base + 1),
        id: nodeCrypto().randomBytes(32).toString('hex'),
        created: new Date().toISOString(),
        labels: opts.labels ?? {},
        internal: !!opts.internal,
      };
      const made = await ensureBridge(cand);
      const raced = !made || hostRoutes().some((r) => r.dev !== bridge && overlaps(r.cidr, sub!));
      if (!raced) info = cand;
      else {
        if (made) await removeBridge(cand);
        if (attempt >= 5 || opts.bridge || opts.subnet) {
          throw new ConmanError('EINVAL', `network ${name}: interface ${bridge} or subnet ${cand.subnet} was taken meanwhile by another network`);
        }
      }
    }
    const file = conflistFile(ctx, name);
    try {
      writeJsonAtomic(file, buildConflist(info));
    } catch (e) {
      await removeBridge(info);
      throw e;
    }
    return { ...info, file };
  });
}

/** Removes a network's config, bridge and rules. The caller has checked that no container uses it. */
export async function removeNetworkConfig(ctx: Context, name: string): Promise<void> {
  if (name === DEFAULT_NETWORK || name === 'bridge') throw new ConmanError('EINVAL', `the default network ${DEFAULT_NETWORK} cannot be removed`);
  await withLock(networksLock(ctx), () => removeNetworkLocked(ctx, name));
}

/** removeNetworkConfig with networks.lock held (by the caller, who checked under it that the network is unused). */
export async function removeNetworkLocked(ctx: Context, name: string): Promise<void> {
  if (name === DEFAULT_NETWORK || name === 'bridge') throw new ConmanError('EINVAL', `the default network ${DEFAULT_NETWORK} cannot be removed`);
  const list = readConflist(ctx, name);
  if (!list) throw new ConmanError('ENOSUCHNET', `network ${name}: no such network`);
  const info = infoFromConflist(list, conflistFile(ctx, name));
  await removeBridge(info);
  fs.rmSync(path.join(ipamDir(ctx, name === DEFAULT_NETWORK), name), { recursive: true, force: true });
  fs.rmSync(netUpMarker(ctx, name), { force: true });
  fs.rmSync(info.file, { force: true });
}
