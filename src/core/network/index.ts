/**
 * Container networking, the API the container lifecycle uses:
 *   setupNetwork(ctx, req)        before the container starts: netns + CNI ADD + /etc files
 *   teardownNetwork(ctx, id)      when it has exited (the shim's cleanup, or rm): CNI DEL, netns gone; idempotent
 *   cleanupStaleNetworks(ctx)     reconciliation: tears down what a crashed CLI or shim left behind
 *   networkState(ctx, id)         what a running container got (ips, ports) for `port`, inspect, ps
 *
 * Volatile layout (runroot):
 *   <runroot>/networks/ctr/<id>/state.json   what setup did (conflist snapshot, plugins run, CNI result, ports)
 *   <runroot>/networks/ctr/<id>/netns        the container's network namespace (nsfs bind mount)
 *   <runroot>/networks/ctr/<id>.lock         per-container lock (setup/teardown)
 *   <runroot>/networks/locks/<net>.lock      per-network lock (CNI ADD/DEL, peers' hosts files)
 *   <runroot>/networks/ipam/<net>/           host-local leases (the default network's: see config.ts)
 *   <runroot>/networks/up/<net>               the network's bridge and rules were checked since boot
 * The hosts, resolv.conf and hostname files go to the container directory (or req.filesDir).
 */
import { childProcess } from '../../base/lazy.js';
import fs from 'node:fs';
import { bootId, procStart } from '../../base/proc.js';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { ConmanError, describeError } from '../../base/errors.js';
import { containerDir, containerFile, ctrNetDir, ctrNetStateDir as stateDir, ctrNetLock as ctrLock, ipamDir, netLock, netUpMarker } from '../../storage/layout.js';
import { withLock } from '../../storage/lock.js';
import { readJson, writeJsonAtomic } from '../../storage/atomic.js';
import { chainAdd, chainDel, cniPath, type CniResult, type Conflist, type PluginConf } from './cni.js';
import { bridgeExists, ensureBridge, ensureRules } from './bridge.js';
import { getNetwork, DEFAULT_NETWORK } from './config.js';
import { contains, parseCidr, parseIp } from './ipv4.js';
import { createNetns, liveNetnsInodes, netnsInode, removeNetns } from './netns.js';
import { clashes, probePort, type PortMapping } from './ports.js';
import { parseAddHost, readHostFile, renderHosts, renderResolv, rewriteInPlace, type HostEntry } from './files.js';

export type { PortMapping } from './ports.js';
export { parsePublish, publishAll, formatMapping } from './ports.js';
export { parseAddHost } from './files.js';

export interface NetworkRequest {
  id: string;
  name: string;
  hostname?: string;
  /** 'bridge' (default network), 'none', 'host', or a network name. Default 'bridge'. */
  network?: string;
  ports?: PortMapping[];
  /** A static IPv4 address on the network (--ip). */
  ip?: string;
  aliases?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** --add-host values (HOST:IP). */
  addHosts?: string[];
  /** Where to write hosts, resolv.conf and hostname (default: the container directory). */
  filesDir?: string;
}

export interface NetworkSetup {
  mode: 'bridge' | 'none' | 'host';
  network?: string;
  /** The namespace file for the OCI spec's `{type: 'network', path}`; absent for host (share the host's)
   *  and none (let runc make a fresh one, which has only lo). */
  netnsPath?: string;
  hostname: string;
  /** Host paths to bind-mount onto /etc/hosts, /etc/resolv.conf and /etc/hostname. */
  files: { hosts: string; resolv: string; hostname: string };
  ips: string[];
  gateway?: string;
  mac?: string;
  ports: PortMapping[];
}

interface NetState {
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
  files: NetworkSetup['files'];
  setupPid: number;
  setupStart: string;
  bootId: string;
  created: string;
  /** Set when a DEL failed; cleanupStaleNetworks retries it. */
  delFailed?: string[];
}

const stateFile = (ctx: Context, id: string) => path.join(stateDir(ctx, id), 'state.json');
export const netnsFile = (ctx: Context, id: string) => path.join(stateDir(ctx, id), 'netns');

export function networkState(ctx: Context, id: string): NetState | undefined {
  return readJson<NetState>(stateFile(ctx, id));
}

/** Network state of every container with a network set up (this store). */
export function allNetworkStates(ctx: Context): NetState[] {
  let ids: string[] = [];
  try {
    ids = fs.readdirSync(ctrNetDir(ctx)).filter((f) => !f.endsWith('.lock'));
  } catch {
    return [];
  }
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

function hostsFor(s: NetState, members: NetState[]): string {
  const peers = members.filter((m) => m.id !== s.id && m.network === s.network).flatMap((m) => selfEntries(m));
  // like podman: the host, as the container reaches it (the bridge's gateway), unless --add-host names it
  const host = s.gateway && !s.extraHosts.some((e) => e.names.includes('host.containers.internal'))
    ? [{ ip: s.gateway, names: ['host.containers.internal', 'host.docker.internal'] }]
    : [];
  return renderHosts({ self: selfEntries(s), peers, extra: [...s.extraHosts, ...host] });
}

function refreshPeers(ctx: Context, net: string, exceptId: string): void {
  const members = allNetworkStates(ctx).filter((m) => m.network === net && m.netnsPath);
  for (const m of members) if (m.id !== exceptId) rewriteInPlace(m.files.hosts, hostsFor(m, members));
}

function baseState(ctx: Context, req: NetworkRequest, hostname: string, dir: string): NetState {
  return {
    schema: 1,
    id: req.id,
    name: req.name,
    hostname,
    network: '',
    ifname: 'eth0',
    list: { cniVersion: '1.0.0', name: '', plugins: [] },
    plugins: [],
    runtimeConfig: {},
    result: {},
    ips: [],
    ports: [],
    aliases: req.aliases ?? [],
    extraHosts: [],
    files: { hosts: path.join(dir, 'hosts'), resolv: path.join(dir, 'resolv.conf'), hostname: path.join(dir, 'hostname') },
    setupPid: process.pid,
    setupStart: procStart(process.pid) ?? '',
    bootId: bootId(),
    created: new Date().toISOString(),
  };
}

function writeFiles(dir: string, hosts: string, resolv: string, hostname: string): NetworkSetup['files'] {
  fs.mkdirSync(dir, { recursive: true });
  const files = { hosts: path.join(dir, 'hosts'), resolv: path.join(dir, 'resolv.conf'), hostname: path.join(dir, 'hostname') };
  // In place when present: a restarted container's bind mounts keep pointing at the same inodes.
  for (const [f, c] of [[files.hosts, hosts], [files.resolv, resolv], [files.hostname, hostname + '\n']] as const) {
    if (fs.existsSync(f)) rewriteInPlace(f, c);
    else fs.writeFileSync(f, c, { mode: 0o644 });
  }
  return files;
}

/** Sets up a container's network. On failure nothing is left behind (netns, leases, rules, state). */
/** Removes host-local lease files (`<dataDir>/<net>/<ip>`, first line the container id) held by `id`. */
function dropLeasesOf(dataDir: string, net: string, id: string): boolean {
  let dropped = false;
  const dir = path.join(dataDir, net);
  let files: string[] = [];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return false;
  }
  for (const f of files) {
    if (f.startsWith('last_reserved_ip') || f === 'lock') continue;
    try {
      if (fs.readFileSync(path.join(dir, f), 'utf8').split(/\r?\n/)[0]!.trim() === id) {
        fs.rmSync(path.join(dir, f), { force: true });
        dropped = true;
      }
    } catch {
      /* raced */
    }
  }
  return dropped;
}

export async function setupNetwork(ctx: Context, req: NetworkRequest): Promise<NetworkSetup> {
  const mode = req.network === 'none' ? 'none' : req.network === 'host' ? 'host' : 'bridge';
  const netName = mode === 'bridge' ? (!req.network || req.network === 'bridge' || req.network === 'default' ? DEFAULT_NETWORK : req.network) : undefined;
  const extraHosts = (req.addHosts ?? []).map(parseAddHost);
  const dir = req.filesDir ?? containerDir(ctx, req.id);
  const hostResolv = readHostFile('/etc/resolv.conf');
  const resolvOpts = { dns: req.dns, search: req.dnsSearch, options: req.dnsOptions };
  if ((req.ports?.length || req.ip) && mode !== 'bridge') {
    throw new ConmanError('EINVAL', `${req.ports?.length ? '-p' : '--ip'} needs a bridge network, not --network ${mode}`);
  }
  if (mode === 'host') {
    const hostname = req.hostname || os.hostname();
    const files = writeFiles(
      dir,
      renderHosts({ base: readHostFile('/etc/hosts'), self: [], peers: [], extra: extraHosts }),
      renderResolv(hostResolv, { ...resolvOpts, keepLoopback: true }),
      hostname,
    );
    return { mode, hostname, files, ips: [], ports: [] };
  }
  const hostname = req.hostname || req.id.slice(0, 12);
  if (mode === 'none') {
    // runc makes a fresh namespace with only lo (and brings lo up): nothing to set up, nothing to tear down.
    const names = [...new Set([hostname, req.name, ...(req.aliases ?? [])])];
    const files = writeFiles(
      dir,
      renderHosts({ self: [{ ip: '127.0.1.1', names }], peers: [], extra: extraHosts }),
      renderResolv(hostResolv, { ...resolvOpts, keepLoopback: false }),
      hostname,
    );
    return { mode, hostname, files, ips: [], ports: [] };
  }

  const { info, list } = await getNetwork(ctx, netName!);
  if (req.ip) {
    const ip = parseIp(req.ip);
    if (ip === undefined) throw new ConmanError('EINVAL', `--ip ${req.ip} is not an IPv4 address`);
    if (!contains(parseCidr(info.subnet)!, ip)) throw new ConmanError('EINVAL', `--ip ${req.ip} is not in network ${info.name}'s subnet ${info.subnet}`);
    if (req.ip === info.gateway) throw new ConmanError('EINVAL', `--ip ${req.ip} is network ${info.name}'s gateway`);
  }
  await cleanupStaleNetworks(ctx).catch((e) => ctx.debug(`stale network cleanup: ${describeError(e)}`));

  return withLock(ctrLock(ctx, req.id), async () => {
    if (fs.existsSync(stateDir(ctx, req.id))) await teardownLocked(ctx, req.id);
    // Ports: pick free ones for hostPort 0, refuse ones in use on the host or published by another container.
    const others = allNetworkStates(ctx).flatMap((s) => s.ports);
    const ports: PortMapping[] = [];
    for (const p of req.ports ?? []) {
      const m = { ...p };
      const taken = [...others, ...ports].find((o) => m.hostPort && clashes(o, m));
      if (taken) throw new ConmanError('EINVAL', `port ${m.hostIP || '0.0.0.0'}:${m.hostPort}/${m.protocol} is already published by another container`);
      m.hostPort = await probePort(m.hostIP, m.hostPort, m.protocol);
      ports.push(m);
    }
    const netnsPath = netnsFile(ctx, req.id);
    removeNetns(netnsPath, ctx.installDir);
    // The snapshot keeps the IPAM data dir, so DEL finds the lease even if the runroot changes meaning.
    const snapshot: Conflist = JSON.parse(JSON.stringify(list));
    for (const p of snapshot.plugins) {
      const ipam = p.ipam as Record<string, unknown> | undefined;
      if (ipam?.type === 'host-local') ipam.dataDir = ipamDir(ctx, info.name === DEFAULT_NETWORK);
    }
    // Keep the chain short: portmap only when something is published.
    const plugins = snapshot.plugins.filter((p) => p.type !== 'portmap' || ports.length > 0);
    const runtimeConfig: Record<string, unknown> = {};
    if (ports.length) {
      runtimeConfig.portMappings = ports.map((p) => ({
        hostPort: p.hostPort,
        containerPort: p.containerPort,
        protocol: p.protocol,
        ...(p.hostIP ? { hostIP: p.hostIP } : {}),
      }));
    }
    if (req.ip) runtimeConfig.ips = [req.ip];
    const inv = { containerId: req.id, netns: netnsPath, ifname: 'eth0', runtimeConfig, cniPath: cniPath() };

    return withLock(netLock(ctx, info.name), () => {
      // The bridge and the network's rules: made once, checked again only after a reboot or a network rm.
      const marker = netUpMarker(ctx, info.name);
      if (!bridgeExists(info.bridge) || !fs.existsSync(marker)) {
        if (!ensureBridge(info)) ensureRules(info);
        fs.mkdirSync(path.dirname(marker), { recursive: true });
        fs.writeFileSync(marker, '');
      }
      // The state goes to disk before anything is made, so that a command killed half-way leaves enough for
      // cleanupStaleNetworks to undo it (DEL needs no prevResult: leases and port chains go by container id).
      const pending: NetState = {
        ...baseState(ctx, req, hostname, dir),
        network: info.name,
        netnsPath,
        list: snapshot,
        plugins,
        runtimeConfig,
        cniPath: inv.cniPath,
        ports,
        extraHosts,
      };
      fs.mkdirSync(stateDir(ctx, req.id), { recursive: true });
      writeJsonAtomic(stateFile(ctx, req.id), pending);
      let result: CniResult;
      try {
        createNetns(netnsPath, ctx.installDir);
        try {
          result = chainAdd(snapshot, plugins, inv);
        } catch (e) {
          // a lease this very container still holds from a setup whose state was lost (a crash, a wiped
          // runroot): host-local refuses a second one for the same id. It is ours and unused: drop it, retry.
          if (!/duplicate allocation/.test((e as Error).message)) throw e;
          try {
            chainDel(snapshot, plugins, inv, undefined);
          } catch {
            /* DEL is best effort here: the lease files go next */
          }
          dropLeasesOf(ipamDir(ctx, info.name === DEFAULT_NETWORK), info.name, req.id);
          removeNetns(netnsPath, ctx.installDir);
          createNetns(netnsPath, ctx.installDir);
          result = chainAdd(snapshot, plugins, inv);
        }
      } catch (e) {
        removeNetns(netnsPath, ctx.installDir);
        fs.rmSync(stateDir(ctx, req.id), { recursive: true, force: true });
        throw e;
      }
      const ips = (result.ips ?? []).map((i) => i.address.split('/')[0]!);
      const eth = (result.interfaces ?? []).find((i) => i.name === 'eth0' && i.sandbox);
      const gateway = result.ips?.[0]?.gateway;
      const state: NetState = { ...pending, result, ips, gateway, mac: eth?.mac };
      try {
        writeJsonAtomic(stateFile(ctx, req.id), state);
        const members = allNetworkStates(ctx).filter((m) => m.network === info.name && m.netnsPath);
        writeFiles(dir, hostsFor(state, members), renderResolv(hostResolv, { ...resolvOpts, keepLoopback: false }), hostname);
        refreshPeers(ctx, info.name, req.id);
      } catch (e) {
        chainDel(snapshot, plugins, inv, result);
        removeNetns(netnsPath, ctx.installDir);
        fs.rmSync(stateDir(ctx, req.id), { recursive: true, force: true });
        throw e;
      }
      return { mode, network: info.name, netnsPath, hostname, files: state.files, ips, gateway, mac: eth?.mac, ports };
    });
  });
}

async function teardownLocked(ctx: Context, id: string): Promise<void> {
  const dir = stateDir(ctx, id);
  const netns = netnsFile(ctx, id);
  let s: NetState | undefined;
  try {
    s = networkState(ctx, id);
  } catch (e) {
    ctx.warn(`network state of ${id.slice(0, 12)} is unreadable, removing it: ${describeError(e)}`);
  }
  if (!s) {
    removeNetns(netns, ctx.installDir);
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  const st = s;
  await withLock(netLock(ctx, st.network), () => {
    // The namespace goes first: with no process left in it the kernel destroys it and its eth0, and with it
    // the veth pair, which is cheaper than the plugin deleting the veth (that waits for RCU). DEL then runs
    // with no netns (CNI allows that): it releases the lease and the port forwarding.
    removeNetns(netns, ctx.installDir);
    const inv = { containerId: st.id, netns: '', ifname: st.ifname, runtimeConfig: st.runtimeConfig, cniPath: st.cniPath };
    const prev = Object.keys(st.result ?? {}).length ? st.result : undefined; // none if ADD never finished
    let errors = chainDel(st.list, st.plugins, inv, prev);
    if (errors.length) errors = chainDel(st.list, st.plugins, inv, prev); // one retry (e.g. xtables lock)
    // A process still holding the namespace (e.g. something nsenter'ed into it) keeps the veth alive: delete it.
    const hostVeth = (st.result.interfaces ?? []).find((i) => !i.sandbox && /^veth/.test(i.name))?.name;
    if (hostVeth && fs.existsSync(`/sys/class/net/${hostVeth}`)) childProcess().spawnSync('ip', ['link', 'del', hostVeth], { timeout: 30_000 });
    if (errors.length) {
      ctx.warn(`network teardown of ${st.name || st.id.slice(0, 12)}: ${errors.join('; ')} (will retry)`);
      writeJsonAtomic(stateFile(ctx, id), { ...st, netnsPath: undefined, delFailed: errors });
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    refreshPeers(ctx, st.network, id);
  });
}

/**
 * Tears down a container's network: CNI DEL (releases the lease, the veth, the port forwarding), removes
 * the netns and the state, updates peers' hosts files. Idempotent; needs no CLI (the shim calls it).
 */
export async function teardownNetwork(ctx: Context, id: string): Promise<void> {
  if (!fs.existsSync(stateDir(ctx, id))) return;
  await withLock(ctrLock(ctx, id), () => teardownLocked(ctx, id));
}

/** The container's init (container.json state.pid, with its start time) still runs: cheaper than a /proc scan. */
function containerProcessAlive(ctx: Context, id: string): boolean {
  try {
    const rec = readJson<{ state?: { pid?: number; pidStart?: string } }>(containerFile(ctx, id));
    const pid = rec?.state?.pid;
    return !!pid && !!rec?.state?.pidStart && procStart(pid) === rec.state.pidStart;
  } catch {
    return false;
  }
}

/**
 * Finds network setups nobody owns any more and tears them down: from before a reboot, whose setup command
 * died before the container started (no process in the namespace), or whose container has exited without
 * its shim cleaning up. `isActive(id)` lets the caller keep a container it knows is running.
 */
export async function cleanupStaleNetworks(ctx: Context, opts: { isActive?: (id: string) => boolean } = {}): Promise<string[]> {
  let ids: string[];
  try {
    ids = fs.readdirSync(ctrNetDir(ctx)).filter((f) => !f.endsWith('.lock'));
  } catch {
    return [];
  }
  if (!ids.length) return [];
  const boot = bootId();
  let live: Set<number> | undefined;
  const cleaned: string[] = [];
  for (const id of ids) {
    let s: NetState | undefined;
    try {
      s = networkState(ctx, id);
    } catch {
      s = undefined;
    }
    let stale: boolean;
    if (!s) {
      // A directory without state: a setup in progress holds the lock; otherwise it is debris.
      const st = fs.statSync(stateDir(ctx, id), { throwIfNoEntry: false });
      stale = !!st && Date.now() - st.mtimeMs > 60_000;
    } else if (s.delFailed || s.bootId !== boot) stale = true;
    else if (procStart(s.setupPid) === s.setupStart && s.setupStart) stale = false; // its setup is still running
    else if (opts.isActive?.(id) || containerProcessAlive(ctx, id)) stale = false;
    else {
      const ino = netnsInode(netnsFile(ctx, id));
      live ??= liveNetnsInodes();
      stale = ino === undefined || !live.has(ino);
    }
    if (!stale) continue;
    ctx.debug(`tearing down stale network setup of ${id.slice(0, 12)}`);
    try {
      await teardownNetwork(ctx, id);
      cleaned.push(id);
    } catch (e) {
      ctx.warn(`cannot clean up the network of ${id.slice(0, 12)}: ${describeError(e)}`);
    }
  }
  return cleaned;
}
