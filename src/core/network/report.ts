/**
 * What ps and inspect show about a container's network, computed from its record alone: the settings in
 * config.network / config.extra.net, and config.extra.netStatus, which the lifecycle's network hooks write
 * at start (addresses, the host ports actually used) and clear at cleanup.
 */
import type { PortMapping } from './ports.js';
import type { NetExtra } from './options.js';
import { type ContainerRecord } from '../../storage/containers.js';

export interface NetStatus {
  network?: string;
  ips: string[];
  gateway?: string;
  mac?: string;
  ports: PortMapping[];
}

export function netStatus(rec: ContainerRecord): NetStatus | undefined {
  return rec.config.extra?.netStatus as NetStatus | undefined;
}

/** The network's name as podman shows it ('podman' there, 'conman' here, for the default network). */
export function networkName(rec: ContainerRecord): string {
  const n = rec.config.network;
  return !n || n === 'bridge' ? 'conman' : n;
}

/** Published ports: the ones in use while running, else the configured ones. */
export function containerPorts(rec: ContainerRecord): PortMapping[] {
  const st = netStatus(rec);
  if (st && rec.state.status !== 'exited' && rec.state.status !== 'created') return st.ports;
  return ((rec.config.extra?.net as NetExtra | undefined)?.ports ?? []).filter((p) => p.hostPort);
}

/** podman ps's PORTS text: `127.0.0.1:8080->80/tcp, 0.0.0.0:5353->53/udp`. */
export function portsText(rec: ContainerRecord): string {
  return containerPorts(rec)
    .map((p) => `${p.hostIP || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`)
    .join(', ');
}

/** podman ps --format json's Ports. */
export function portsJson(rec: ContainerRecord): Array<Record<string, unknown>> | null {
  const ports = containerPorts(rec);
  if (!ports.length) return null;
  return ports.map((p) => ({ host_ip: p.hostIP, container_port: p.containerPort, host_port: p.hostPort, range: 1, protocol: p.protocol }));
}

/** podman inspect's NetworkSettings. */
export function networkSettings(rec: ContainerRecord): Record<string, unknown> {
  const st = rec.state.status === 'running' || rec.state.status === 'stopping' ? netStatus(rec) : undefined;
  const ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const p of containerPorts(rec)) {
    (ports[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIP, HostPort: String(p.hostPort) });
  }
  const ip = st?.ips[0] ?? '';
  const bridged = rec.config.network !== 'none' && rec.config.network !== 'host';
  const aliases = (rec.config.extra?.net as NetExtra | undefined)?.aliases ?? [];
  return {
    Ports: ports,
    IPAddress: ip,
    IPPrefixLen: ip ? 24 : 0,
    Gateway: st?.gateway ?? '',
    MacAddress: st?.mac ?? '',
    Networks: bridged
      ? { [networkName(rec)]: { IPAddress: ip, Gateway: st?.gateway ?? '', MacAddress: st?.mac ?? '', Aliases: [rec.name, ...aliases] } }
      : {},
  };
}
