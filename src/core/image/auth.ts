/**
 * Credentials in the containers-auth.json(5) / docker config.json format:
 * `{"auths": {"host[:port]": {"auth": base64("user:pass")}}}`, written with mode 0600.
 * Default file: $REGISTRY_AUTH_FILE, else ${XDG_RUNTIME_DIR}/containers/auth.json, else
 * ~/.config/containers/auth.json (also read as a fallback, as is ~/.docker/config.json).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConmanError } from '../../base/errors.js';
import { writeFileAtomicSync } from '../../storage/atomic.js';

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
