/**
 * Credentials in the containers-auth.json(5) / docker config.json format:
 * `{"auths": {"host[:port]": {"auth": base64("user:pass")}}}`, written with mode 0600.
 * Default file: $REGISTRY_AUTH_FILE, else ${XDG_RUNTIME_DIR}/containers/auth.json, else
 * ~/.config/containers/auth.json (also read as a fallback, as is ~/.docker/config.json).
 * Also login/logout themselves: which registry a name means, checking credentials before storing them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConmanError } from '../../base/errors.js';
import { writeFileAtomicSync } from '../../storage/atomic.js';
import { isLocalRegistry, loadRegistriesConf, registryEntry } from './registries-conf.js';

export interface Creds {
  username: string;
  password: string;
}

interface AuthFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  [k: string]: unknown;
}

/** The file `login` writes to. */
export function defaultAuthFile(env = process.env): string {
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  return path.join(os.homedir(), '.config', 'containers', 'auth.json');
}

/** Files searched for credentials, in order. */
function readFiles(authfile: string | undefined, env = process.env): string[] {
  if (authfile) return [authfile];
  const files = [defaultAuthFile(env)];
  const home = path.join(os.homedir(), '.config', 'containers', 'auth.json');
  if (!files.includes(home)) files.push(home);
  files.push(path.join(os.homedir(), '.docker', 'config.json'));
  return files;
}

function readAuthFile(file: string, mustExist = false): AuthFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !mustExist) return {};
    throw new ConmanError('EINVAL', `cannot read auth file ${file}: ${(e as Error).message}`);
  }
  try {
    const v = JSON.parse(text || '{}') as AuthFile;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v;
  } catch (e) {
    throw new ConmanError('EINVAL', `invalid auth file ${file}: ${(e as Error).message}`);
  }
}

export function parseCredsFlag(s: string): Creds {
  const i = s.indexOf(':');
  if (i <= 0) throw new ConmanError('EINVAL', 'invalid --creds: expected USERNAME:PASSWORD');
  return { username: s.slice(0, i), password: s.slice(i + 1) };
}

function keysFor(registry: string, repository?: string): string[] {
  const keys: string[] = [];
  if (repository) {
    const parts = repository.split('/');
    for (let i = parts.length; i > 0; i--) keys.push(`${registry}/${parts.slice(0, i).join('/')}`);
  }
  keys.push(registry);
  if (registry === 'docker.io') keys.push('https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io');
  keys.push(`https://${registry}`, `http://${registry}`);
  return keys;
}

/** Stored credentials for a registry (and repository), if any. */
export function lookupCreds(registry: string, repository?: string, authfile?: string, env = process.env): Creds | undefined {
  for (const file of readFiles(authfile, env)) {
    const doc = readAuthFile(file, false);
    const auths = doc.auths ?? {};
    for (const k of keysFor(registry, repository)) {
      const e = auths[k];
      if (!e) continue;
      if (e.auth) {
        const dec = Buffer.from(e.auth, 'base64').toString('utf8');
        const i = dec.indexOf(':');
        if (i > 0) return { username: dec.slice(0, i), password: dec.slice(i + 1) };
      }
      if (e.username && e.password) return { username: e.username, password: e.password };
    }
  }
  return undefined;
}

export function storeCreds(registry: string, creds: Creds, authfile?: string, env = process.env): string {
  const file = authfile ?? defaultAuthFile(env);
  const doc = readAuthFile(file, false);
  doc.auths = doc.auths ?? {};
  doc.auths[registry] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomicSync(file, JSON.stringify(doc, null, '\t') + '\n', 0o600);
  fs.chmodSync(file, 0o600);
  return file;
}

/** Removes the registry's entry; returns false when there was none. */
export function removeCreds(registry: string, authfile?: string, env = process.env): boolean {
  const file = authfile ?? defaultAuthFile(env);
  const doc = readAuthFile(file, false);
  if (!doc.auths || !doc.auths[registry]) return false;
  delete doc.auths[registry];
  writeFileAtomicSync(file, JSON.stringify(doc, null, '\t') + '\n', 0o600);
  return true;
}

export function removeAllCreds(authfile?: string, env = process.env): void {
  const file = authfile ?? defaultAuthFile(env);
  if (!fs.existsSync(file)) return;
  const doc = readAuthFile(file, false);
  doc.auths = {};
  writeFileAtomicSync(file, JSON.stringify(doc, null, '\t') + '\n', 0o600);
}

/** A registry as the user names it to login/logout: a URL's scheme and trailing slashes dropped. */
function cleanRegistry(registry: string | undefined, missing: string): string {
  if (!registry) throw new ConmanError('EUSAGE', missing);
  return registry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

/**
 * The registry `login` stores credentials for: as named (Docker Hub's aliases become docker.io), else the
 * first unqualified-search registry. The registries config is read (and so checked) either way.
 */
export async function loginRegistry(input?: string): Promise<string> {
  const conf = await loadRegistriesConf();
  const registry = cleanRegistry(input ?? conf.unqualifiedSearch[0], 'login needs a registry');
  return registry === 'index.docker.io' || registry === 'registry-1.docker.io' ? 'docker.io' : registry;
}

/** The registry `logout` removes credentials of: as named, else the first unqualified-search registry. */
export async function logoutRegistry(input?: string): Promise<string> {
  return cleanRegistry(input ?? (await loadRegistriesConf()).unqualifiedSearch[0], 'logout needs a registry or --all');
}

/** `login --get-login`: the user stored for a registry. */
export function loggedInUser(registry: string, authfile?: string): string {
  const c = lookupCreds(registry, undefined, authfile);
  if (!c) throw new ConmanError('EAUTH', `not logged into ${registry}`);
  return c.username;
}

/** Checks the credentials against the registry, then stores them in the auth file. */
export async function login(registry: string, creds: Creds, opts: { authfile?: string; tlsVerify?: boolean } = {}): Promise<void> {
  const { RegistryClient } = await import('./registry.js');
  const conf = await loadRegistriesConf();
  const insecure = registryEntry(conf, registry)?.insecure || isLocalRegistry(registry) || opts.tlsVerify === false;
  const client = new RegistryClient(registry, '', { what: `login ${registry}`, creds, insecure, tlsVerify: opts.tlsVerify });
  try {
    await client.checkLogin();
  } finally {
    await client.close();
  }
  storeCreds(registry, creds, opts.authfile);
}

/** Removes the stored credentials of a registry; EAUTH when there were none. */
export function logout(registry: string, authfile?: string): void {
  if (!removeCreds(registry, authfile)) throw new ConmanError('EAUTH', `not logged into ${registry}`);
}
