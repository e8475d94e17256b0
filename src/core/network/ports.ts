/**
 * Published ports: `-p [ip:][hostPort:]containerPort[/tcp|udp]` (ports may be ranges of equal length),
 * `-P` for the image's EXPOSEd ports, the check that a host port is free, and picking a free one.
 * Forwarding itself is the portmap CNI plugin's (DNAT; it does not bind), so conman checks by binding.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { ConmanError } from '../../base/errors.js';
import { parseIp } from './ipv4.js';

export interface PortMapping {
  hostIP: string; // '' = all addresses
  hostPort: number; // 0 = pick a free one at setup
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

function parsePortRange(s: string, spec: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
  const bad = () => new ConmanError('EINVAL', `invalid port "${s}" in -p ${spec}: expected a number 1-65535 or a range like 8000-8010`);
  if (!m) throw bad();
  const a = Number(m[1]);
  const b = m[2] ? Number(m[2]) : a;
  if (a < 1 || a > 65535 || b < a || b > 65535) throw bad();
  return [a, b];
}

/** Parses one -p value into its mappings. */
export function parsePublish(spec: string): PortMapping[] {
  let s = spec.trim();
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    const p = s.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp') throw new ConmanError('EINVAL', `invalid protocol "${p}" in -p ${spec}: use tcp or udp`);
    protocol = p;
    s = s.slice(0, slash);
  }
  if (s.startsWith('[')) throw new ConmanError('EINVAL', `-p ${spec}: IPv6 host addresses are not supported`);
  const parts = s.split(':');
  if (parts.length > 3 || parts.some((p, i) => p === '' && !(parts.length === 3 && i === 1)) || s === '') {
    throw new ConmanError('EINVAL', `invalid -p ${spec}: expected [ip:][hostPort:]containerPort[/tcp|udp]`);
  }
  let hostIP = '';
  let hostPart = '';
  let ctrPart: string;
  if (parts.length === 3) [hostIP, hostPart, ctrPart] = parts as [string, string, string];
  else if (parts.length === 2) [hostPart, ctrPart] = parts as [string, string];
  else ctrPart = parts[0]!;
  if (hostIP === '0.0.0.0') hostIP = '';
  if (hostIP && parseIp(hostIP) === undefined) throw new ConmanError('EINVAL', `invalid host IP "${hostIP}" in -p ${spec}`);
  const [c1, c2] = parsePortRange(ctrPart, spec);
  const out: PortMapping[] = [];
  if (hostPart) {
    const [h1, h2] = parsePortRange(hostPart, spec);
    if (h2 - h1 !== c2 - c1) throw new ConmanError('EINVAL', `-p ${spec}: host and container port ranges differ in length`);
    for (let i = 0; i <= c2 - c1; i++) out.push({ hostIP, hostPort: h1 + i, containerPort: c1 + i, protocol });
  } else {
    for (let p = c1; p <= c2; p++) out.push({ hostIP, hostPort: 0, containerPort: p, protocol });
  }
  return out;
}

/** -P: every EXPOSEd port of the image config ("80/tcp" keys) on a free host port. */
export function publishAll(exposed: Record<string, unknown> | string[] | undefined): PortMapping[] {
  const keys = Array.isArray(exposed) ? exposed : Object.keys(exposed ?? {});
  const out: PortMapping[] = [];
  for (const k of keys) {
    const [port, proto = 'tcp'] = k.split('/');
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535 || (proto !== 'tcp' && proto !== 'udp')) continue;
    out.push({ hostIP: '', hostPort: 0, containerPort: n, protocol: proto as 'tcp' | 'udp' });
  }
  return out;
}

export function formatMapping(m: PortMapping): string {
  return `${m.containerPort}/${m.protocol} -> ${m.hostIP || '0.0.0.0'}:${m.hostPort}`;
}

/** Binds host ip:port to see whether it is free; with port 0 returns the free port the kernel picked. */
export function probePort(hostIP: string, port: number, protocol: 'tcp' | 'udp'): Promise<number> {
  const addr = hostIP || '0.0.0.0';
  return new Promise((resolve, reject) => {
    const fail = (e: NodeJS.ErrnoException) =>
      reject(
        new ConmanError(
          'EINVAL',
          e.code === 'EADDRINUSE'
            ? `port ${addr}:${port}/${protocol} is already in use`
            : `cannot use port ${addr}:${port}/${protocol}: ${e.message}`,
          { cause: e },
        ),
      );
    if (protocol === 'udp') {
      const s = dgram.createSocket('udp4');
      s.once('error', fail);
      s.bind(port, addr, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    } else {
      const s = net.createServer();
      s.once('error', fail);
      s.listen({ port, host: addr, exclusive: true }, () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    }
  });
}

/** True when two mappings would claim the same host port. */
export function clashes(a: PortMapping, b: PortMapping): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (!a.hostIP || !b.hostIP || a.hostIP === b.hostIP);
}
