/** IPv4 address and subnet arithmetic for subnet allocation and overlap checks. */
import fs from 'node:fs';

export interface Cidr {
  base: number; // network address as an unsigned 32-bit number
  prefix: number;
}

export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function ipToString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "a.b.c.d/n"; the address is masked to its network. Undefined when malformed. */
export function parseCidr(s: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s.trim());
  if (!m) return undefined;
  const ip = parseIp(m[1]!);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  return { base: (ip & maskOf(prefix)) >>> 0, prefix };
}

export function cidrToString(c: Cidr): string {
  return `${ipToString(c.base)}/${c.prefix}`;
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & maskOf(p)) >>> 0) === ((b.base & maskOf(p)) >>> 0);
}

export interface HostRoute {
  dev: string;
  cidr: Cidr;
}

/** The host's IPv4 routes (from /proc/net/route), default routes left out. */
export function hostRoutes(): HostRoute[] {
  let text = '';
  try {
    text = fs.readFileSync('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  const out: HostRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const le = (h: string) => {
      const v = parseInt(h, 16);
      return (((v & 255) << 24) | (((v >>> 8) & 255) << 16) | (((v >>> 16) & 255) << 8) | ((v >>> 24) & 255)) >>> 0;
    };
    const dst = le(f[1]!);
    const mask = le(f[7]!);
    if (mask === 0) continue;
    let prefix = 0;
    while (prefix < 32 && ((mask << prefix) & 0x80000000) !== 0) prefix++;
    out.push({ dev: f[0]!, cidr: { base: dst, prefix } });
  }
  return out;
}
