/**
 * The three files a container's /etc gets bind-mounted from: hosts (localhost, itself, its network peers
 * by name and alias, --add-host entries), resolv.conf (the host's, without loopback nameservers unless the
 * container shares the host's network; --dns/--dns-search/--dns-option override) and hostname.
 * Peers' hosts files are rewritten in place (same inode), so running containers see joins and leaves.
 */
import fs from 'node:fs';
import { ConmanError } from '../../base/errors.js';
import { parseIp } from './ipv4.js';

export interface HostEntry {
  ip: string;
  names: string[];
}

export function parseAddHost(spec: string): HostEntry {
  // podman: host:ip (ip may be IPv6 with colons); also host=ip
  const m = /^([^:=]+)[:=](.+)$/.exec(spec);
  if (!m || !m[1] || !m[2]) throw new ConmanError('EINVAL', `invalid --add-host ${spec}: expected HOST:IP`);
  const ip = m[2] === 'host-gateway' ? m[2] : m[2].replace(/^\[|\]$/g, '');
  if (ip !== 'host-gateway' && parseIp(ip) === undefined && !/^[0-9a-fA-F:]+$/.test(ip)) {
    throw new ConmanError('EINVAL', `invalid --add-host ${spec}: "${m[2]}" is not an IP address`);
  }
  return { ip, names: [m[1]] };
}

export function renderHosts(opts: { base?: string; self: HostEntry[]; peers: HostEntry[]; extra: HostEntry[] }): string {
  let out = '';
  if (opts.base !== undefined) out += opts.base.endsWith('\n') || !opts.base ? opts.base : opts.base + '\n';
  else {
    out += '127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n';
    out += '::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n';
  }
  for (const e of [...opts.extra, ...opts.self, ...opts.peers]) out += `${e.ip}\t${e.names.join(' ')}\n`;
  return out;
}

export interface ResolvOptions {
  dns?: string[];
  search?: string[];
  options?: string[];
  keepLoopback: boolean;
}

export function renderResolv(hostResolv: string, o: ResolvOptions): string {
  const ns: string[] = [];
  let search: string[] = [];
  let options: string[] = [];
  for (const raw of hostResolv.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...vals] = line.split(/\s+/);
    if (key === 'nameserver' && vals[0]) ns.push(vals[0]);
    else if (key === 'search' || key === 'domain') search = vals;
    else if (key === 'options') options.push(...vals);
  }
  let servers = o.dns?.length ? o.dns : ns.filter((s) => o.keepLoopback || !(s.startsWith('127.') || s === '::1'));
  if (!servers.length) servers = ['8.8.8.8', '8.8.4.4']; // what podman does when only a local resolver is left
  if (o.search?.length) search = o.search.filter((s) => s !== '.');
  if (o.options?.length) options = o.options;
  let out = '';
  if (search.length) out += `search ${search.join(' ')}\n`;
  for (const s of servers) out += `nameserver ${s}\n`;
  if (options.length) out += `options ${options.join(' ')}\n`;
  return out;
}

export function readHostFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Rewrites a file in place (keeping its inode, so a bind mount of it shows the new content). */
export function rewriteInPlace(file: string, content: string): void {
  try {
    fs.writeFileSync(file, content, { flag: 'r+' });
    fs.truncateSync(file, Buffer.byteLength(content));
  } catch {
    /* the peer's file is gone: nothing to update */
  }
}
