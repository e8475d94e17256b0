/**
 * A registries configuration in the spirit of containers-registries.conf(5), TOML:
 *
 *   unqualified-search-registries = ["docker.io", "quay.io"]
 *   [[registry]]
 *   location = "myregistry.local:5000"
 *   insecure = true
 *
 * Read from $CONMAN_REGISTRIES_CONF, else /etc/conman/registries.conf; a missing file means defaults.
 */
import fs from 'node:fs';
import { ConmanError } from '../../base/errors.js';

export interface RegistryEntry {
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrorOf?: string;
}

export interface RegistriesConf {
  file?: string;
  unqualifiedSearch: string[];
  registries: RegistryEntry[];
}

export const DEFAULT_REGISTRIES_CONF = '/etc/conman/registries.conf';

let cache: RegistriesConf | undefined;

export async function loadRegistriesConf(env = process.env): Promise<RegistriesConf> {
  if (cache) return cache;
  const file = env.CONMAN_REGISTRIES_CONF || DEFAULT_REGISTRIES_CONF;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !env.CONMAN_REGISTRIES_CONF) {
      return (cache = { unqualifiedSearch: ['docker.io'], registries: [] });
    }
    throw new ConmanError('EINVAL', `cannot read registries config ${file}: ${(e as Error).message}`);
  }
  const { parse } = await import('smol-toml');
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ConmanError('EINVAL', `invalid registries config ${file}: ${(e as Error).message}`);
  }
  const uq = doc['unqualified-search-registries'];
  if (uq !== undefined && (!Array.isArray(uq) || uq.some((x) => typeof x !== 'string')))
    throw new ConmanError('EINVAL', `invalid registries config ${file}: unqualified-search-registries must be a list of strings`);
  const regs: RegistryEntry[] = [];
  const list = doc.registry ?? [];
  if (!Array.isArray(list)) throw new ConmanError('EINVAL', `invalid registries config ${file}: [[registry]] must be a table array`);
  for (const r of list as Array<Record<string, unknown>>) {
    const location = (r.location ?? r.prefix) as string | undefined;
    if (typeof location !== 'string' || !location)
      throw new ConmanError('EINVAL', `invalid registries config ${file}: a [[registry]] needs location = "host[:port]"`);
    regs.push({ location, insecure: r.insecure === true, blocked: r.blocked === true });
  }
  cache = { file, unqualifiedSearch: (uq as string[] | undefined) ?? ['docker.io'], registries: regs };
  return cache;
}

/** The [[registry]] entry matching a registry host (or host/repo prefix), longest location first. */
export function registryEntry(conf: RegistriesConf, registry: string, repository = ''): RegistryEntry | undefined {
  const full = `${registry}/${repository}`;
  let best: RegistryEntry | undefined;
  for (const r of conf.registries) {
    if (r.location === registry || full === r.location || full.startsWith(r.location.endsWith('/') ? r.location : `${r.location}/`)) {
      if (!best || r.location.length > best.location.length) best = r;
    }
  }
  return best;
}

/** 127.0.0.1, ::1 and localhost registries are insecure by default, like podman. */
export function isLocalRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
