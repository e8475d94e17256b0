/**
 * Setting up a container's network before it starts: for a bridge network the ports, the netns, CNI ADD
 * through the network's chain and the state (see index.ts for the layout); for every mode the hosts,
 * resolv.conf and hostname files the container's /etc gets.
 */
import fs from 'node:fs';
import { bootId, procStart } from '../../base/proc.js';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { ConmanError, describeError } from '../../base/errors.js';
import { containerDir, ctrNetStateDir as stateDir, ctrNetLock as ctrLock, ipamDir, netLock, netUpMarker } from '../../storage/layout.js';
import { withLock } from '../../storage/lock.js';
import { writeJsonAtomic } from '../../storage/atomic.js';
import { chainAdd, chainDel, cniPath, type CniResult, type Conflist } from './cni.js';
import { bridgeExists, ensureBridge, ensureRules } from './bridge.js';
import { getNetwork, DEFAULT_NETWORK } from './config.js';
import { contains, parseCidr, parseIp } from './ipv4.js';
import { createNetns, removeNetns } from './netns.js';
import { clashes, probePort, type PortMapping } from './ports.js';
import { parseAddHost, readHostFile, renderHosts, renderResolv, rewriteInPlace } from './files.js';
import { allNetworkStates, hostsFor, netnsFile, refreshPeers, stateFile, type NetState } from './state.js';
import { teardownLocked } from './teardown.js';
import { cleanupStaleNetworks } from './stale.js';

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

/** Sets up a container's network. On failure nothing is left behind (netns, leases, rules, state). */
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
    await removeNetns(netnsPath, ctx.installDir);
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

    return withLock(netLock(ctx, info.name), async () => {
      // The bridge and the network's rules: made once, checked again only after a reboot or a network rm.
      const marker = netUpMarker(ctx, info.name);
      if (!bridgeExists(info.bridge) || !fs.existsSync(marker)) {
        if (!(await ensureBridge(info))) await ensureRules(info);
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
        await createNetns(netnsPath, ctx.installDir);
        try {
          result = await chainAdd(snapshot, plugins, inv);
        } catch (e) {
          // a lease this very container still holds from a setup whose state was lost (a crash, a wiped
          // runroot): host-local refuses a second one for the same id. It is ours and unused: drop it, retry.
          if (!/duplicate allocation/.test((e as Error).message)) throw e;
          try {
            await chainDel(snapshot, plugins, inv, undefined);
          } catch {
            /* DEL is best effort here: the lease files go next */
          }
          dropLeasesOf(ipamDir(ctx, info.name === DEFAULT_NETWORK), info.name, req.id);
          await removeNetns(netnsPath, ctx.installDir);
          await createNetns(netnsPath, ctx.installDir);
          result = await chainAdd(snapshot, plugins, inv);
        }
      } catch (e) {
        await removeNetns(netnsPath, ctx.installDir);
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
        await chainDel(snapshot, plugins, inv, result);
        await removeNetns(netnsPath, ctx.installDir);
        fs.rmSync(stateDir(ctx, req.id), { recursive: true, force: true });
        throw e;
      }
      return { mode, network: info.name, netnsPath, hostname, files: state.files, ips, gateway, mac: eth?.mac, ports };
    });
  });
}
