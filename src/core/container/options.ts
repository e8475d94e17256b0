/**
 * `create`/`run` options (podman's specgen): the flags as CreateOptions, and everything about them that can
 * be checked before touching the store (validateCreate), so that bad input leaves nothing behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConmanError } from '../../base/errors.js';
import { signalName, signalNumber } from '../../base/signals.js';
import { NAME_RE } from './record.js';
import { normalizeCap, parseUlimit } from '../runtime/spec.js';
import type { NetFlags } from '../network/options.js';
import type { MountSpec } from '../../storage/containers.js';

export interface CreateOptions {
  image: string;
  command: string[];
  name?: string;
  env?: string[];
  envFile?: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  volume?: string[];
  mount?: string[];
  readOnly?: boolean;
  hostname?: string;
  memory?: string;
  cpus?: string | number;
  cpuShares?: string | number;
  cpusetCpus?: string;
  pidsLimit?: string | number;
  stopSignal?: string;
  stopTimeout?: string | number;
  cidfile?: string;
  replace?: boolean;
  label?: string[];
  labelFile?: string[];
  shmSize?: string;
  rm?: boolean;
  interactive?: boolean;
  tty?: boolean;
  network?: string;
  /** the other network flags (-p, -P, --ip, --dns, ...): checked by src/core/network/options.ts */
  net?: Omit<NetFlags, 'network'>;
  pull?: string;
  quiet?: boolean;
  /** pull progress of a missing image, with quiet === false (the cli renders it) */
  onPullProgress?: import('../image/progress-events.js').OnProgress;
  tmpfs?: string[];
  /** --expose PORT[-PORT][/PROTO]: more ports for -P */
  expose?: string[];
  /** --tls-verify, --creds, --authfile: for the pull of a missing image */
  pullOptions?: { tlsVerify?: boolean; creds?: string; authfile?: string };
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  ulimit?: string[];
  init?: boolean;
  initPath?: string;
}

/** Where --init finds its PID 1 unless --init-path names one: catatonit (podman's), then tini. */
const INIT_CANDIDATES = ['/usr/libexec/podman/catatonit', '/usr/bin/catatonit', '/usr/local/bin/catatonit', '/usr/bin/tini', '/usr/bin/tini-static', '/sbin/tini'];

export function findInit(o: { init?: boolean; initPath?: string }): string | undefined {
  if (!o.init && !o.initPath) return undefined;
  const candidates = o.initPath ? [path.resolve(o.initPath)] : INIT_CANDIDATES;
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  throw new ConmanError(
    'EINVAL',
    o.initPath ? `--init-path ${o.initPath}: not an executable file` : '--init: no init binary found (looked for catatonit and tini)',
    { hint: 'install catatonit (apt-get install catatonit) or name one with --init-path' },
  );
}

export function parseSize(v: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt])?b?$/i.exec(String(v).trim());
  if (!m) throw new ConmanError('EINVAL', `invalid ${what} "${v}": expected a number with an optional unit b, k, m, g (e.g. 512m)`);
  const mult: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  const n = Math.floor(Number(m[1]) * mult[(m[2] ?? 'b').toLowerCase()]!);
  if (n <= 0) throw new ConmanError('EINVAL', `invalid ${what} "${v}": must be greater than 0`);
  return n;
}

/** 'TERM', 'SIGTERM', '15' → 'SIGTERM'. */
export function parseSignal(v: string | number): string {
  const s = String(v).trim().toUpperCase();
  if (/^\d+$/.test(s)) {
    const name = signalName(Number(s));
    if (!name) throw new ConmanError('EINVAL', `invalid signal: ${v}`);
    return name;
  }
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  if (signalNumber(name) === undefined) throw new ConmanError('EINVAL', `invalid signal: ${v}`);
  return name;
}

/** `0-2,5`: CPU numbers and ranges, each CPU one this machine has (runc would fail later, less clearly). */
export function parseCpuset(v: string): string {
  const n = os.cpus().length;
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) throw new ConmanError('EINVAL', `invalid --cpuset-cpus "${v}": expected CPU numbers and ranges such as 0-1,3`);
  for (const part of v.split(',')) {
    const [a, b = a] = part.split('-').map(Number) as [number, number?];
    if (b! < a) throw new ConmanError('EINVAL', `invalid --cpuset-cpus "${v}": range ${part} runs backwards`);
    if (b! >= n) throw new ConmanError('EINVAL', `invalid --cpuset-cpus "${v}": this machine has CPUs 0-${n - 1}`);
  }
  return v;
}

export function parseInteger(v: string | number, what: string): number {
  const s = String(v).trim();
  if (!/^-?\d+$/.test(s)) throw new ConmanError('EINVAL', `invalid ${what} "${v}": expected an integer`);
  return Number(s);
}

/** --expose 80, 8000-8002/udp → {'80/tcp': {}, '8000/udp': {}, ...} (the image config's ExposedPorts shape) */
export function parseExpose(list: string[]): Record<string, object> {
  const out: Record<string, object> = {};
  for (const e of list) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(e.trim());
    const lo = Number(m?.[1]);
    const hi = m?.[2] ? Number(m[2]) : lo;
    if (!m || lo < 1 || hi > 65535 || hi < lo) throw new ConmanError('EINVAL', `invalid --expose "${e}": expected PORT[-PORT][/tcp|udp|sctp]`);
    for (let p = lo; p <= hi; p++) out[`${p}/${m[3] ?? 'tcp'}`] = {};
  }
  return out;
}

/** podman's default (containers.conf pids_limit): a fork bomb in a container stays in it; 0 or -1 lifts it. */
export const DEFAULT_PIDS_LIMIT = 2048;

/** The caller's environment as the user had it (bin/conman renamed NODE_EXTRA_CA_CERTS on the way in). */
function hostEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (env.CONMAN_EXTRA_CA_CERTS !== undefined) {
    env.NODE_EXTRA_CA_CERTS = env.CONMAN_EXTRA_CA_CERTS;
    delete env.CONMAN_EXTRA_CA_CERTS;
  }
  return env;
}

export function parseEnvList(list: string[], into: Map<string, string>, where: string): void {
  for (const e of list) {
    if (!e) continue;
    const i = e.indexOf('=');
    if (i === 0) throw new ConmanError('EINVAL', `invalid environment variable "${e}"${where}: empty name`);
    if (i < 0) {
      // NAME takes the host's value; NAME* every host variable starting with NAME (podman's -e 'GLOB*')
      if (e.endsWith('*') && where !== ' in the image') {
        for (const [k, hv] of Object.entries(hostEnv())) if (k.startsWith(e.slice(0, -1)) && hv !== undefined) into.set(k, hv);
        continue;
      }
      const hv = hostEnv()[e];
      if (hv !== undefined) into.set(e, hv);
      continue;
    }
    into.set(e.slice(0, i), e.slice(i + 1));
  }
}

/** The lines of an --env-file or --label-file that are not blank or comments. */
function readKeyValueFile(file: string, what: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConmanError('EINVAL', `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, '').replace(/^\s+/, ''))
    .filter((l) => l && !l.startsWith('#'));
}

export function parseVolume(v: string): MountSpec {
  const parts = v.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1])
    throw new ConmanError('EINVAL', `invalid volume "${v}": expected HOST-DIR:CONTAINER-DIR[:OPTIONS]`);
  const [rawSrc, dst, opts = ''] = parts as [string, string, string?];
  // like podman: ./x and ../x are host paths relative to the current directory; a bare name is a named volume
  const src = rawSrc.startsWith('./') || rawSrc.startsWith('../') || rawSrc === '.' || rawSrc === '..' ? path.resolve(rawSrc) : rawSrc;
  if (!src.startsWith('/'))
    throw new ConmanError('EINVAL', `invalid volume "${v}": named volumes are not supported, the host path must be absolute`);
  if (!dst.startsWith('/')) throw new ConmanError('EINVAL', `invalid volume "${v}": the container path must be absolute`);
  let readonly = false;
  const options: string[] = [];
  for (const o of opts.split(',').filter(Boolean)) {
    if (o === 'ro') readonly = true;
    else if (o === 'rw') readonly = false;
    else if (['z', 'Z', 'rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave', 'nosuid', 'nodev', 'noexec', 'suid', 'dev', 'exec'].includes(o)) {
      if (!['z', 'Z'].includes(o)) options.push(o);
    } else throw new ConmanError('EINVAL', `invalid volume "${v}": unknown option "${o}"`);
  }
  checkSource(src, v);
  return { type: 'bind', source: path.resolve(src), destination: path.posix.normalize(dst), options, readonly };
}

function checkSource(src: string, what: string): void {
  try {
    fs.statSync(src);
  } catch (e) {
    throw new ConmanError('EINVAL', `invalid mount "${what}": statfs ${src}: no such file or directory`, { cause: e });
  }
}

export function parseMount(v: string): MountSpec {
  const kv = new Map<string, string>();
  const flags = new Set<string>();
  for (const part of v.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) flags.add(part);
    else kv.set(part.slice(0, i), part.slice(i + 1));
  }
  const type = kv.get('type') ?? 'volume';
  const dst = kv.get('target') ?? kv.get('destination') ?? kv.get('dst');
  if (!dst || !dst.startsWith('/')) throw new ConmanError('EINVAL', `invalid mount "${v}": target must be an absolute path`);
  const ro = flags.has('ro') || flags.has('readonly') || kv.get('readonly') === 'true' || kv.get('ro') === 'true';
  if (type === 'bind') {
    const src = kv.get('source') ?? kv.get('src');
    if (!src || !src.startsWith('/')) throw new ConmanError('EINVAL', `invalid mount "${v}": bind mounts need an absolute source`);
    checkSource(src, v);
    return { type: 'bind', source: path.resolve(src), destination: dst, options: [], readonly: ro };
  }
  if (type === 'tmpfs') {
    const options: string[] = [];
    const size = kv.get('tmpfs-size');
    if (size) options.push(`size=${parseSize(size, 'tmpfs-size')}`);
    const mode = kv.get('tmpfs-mode');
    if (mode) {
      if (!/^[0-7]{3,4}$/.test(mode)) throw new ConmanError('EINVAL', `invalid mount "${v}": tmpfs-mode must be octal`);
      options.push(`mode=${mode}`);
    }
    return { type: 'tmpfs', source: 'tmpfs', destination: dst, options, readonly: ro };
  }
  throw new ConmanError('EINVAL', `invalid mount "${v}": type ${type} is not supported (bind, tmpfs)`);
}

/** --tmpfs /path[:opts] (opts like size=64m,mode=1777,ro,noexec). */
export function parseTmpfs(v: string): MountSpec {
  const i = v.indexOf(':');
  const dst = i < 0 ? v : v.slice(0, i);
  if (!dst.startsWith('/')) throw new ConmanError('EINVAL', `invalid --tmpfs "${v}": the path must be absolute`);
  const options: string[] = [];
  let readonly = false;
  for (const o of i < 0 ? [] : v.slice(i + 1).split(',').filter(Boolean)) {
    if (o === 'ro') readonly = true;
    else if (o === 'rw') readonly = false;
    else if (/^size=/.test(o)) options.push(`size=${parseSize(o.slice(5), '--tmpfs size')}`);
    else if (/^mode=[0-7]{3,4}$/.test(o) || ['noexec', 'exec', 'nosuid', 'suid', 'nodev', 'dev'].includes(o)) options.push(o);
    else throw new ConmanError('EINVAL', `invalid --tmpfs "${v}": unknown option "${o}"`);
  }
  return { type: 'tmpfs', source: 'tmpfs', destination: path.posix.normalize(dst), options, readonly };
}

export function parseEntrypoint(v: string): string[] {
  const t = v.trim();
  if (t.startsWith('[')) {
    try {
      const a = JSON.parse(t);
      if (Array.isArray(a) && a.every((x) => typeof x === 'string')) return a;
    } catch {
      /* fall through */
    }
    throw new ConmanError('EINVAL', `invalid --entrypoint ${v}: not a JSON array of strings`);
  }
  return v === '' ? [] : [v];
}

/** Everything that can be checked before touching the store (so bad input leaves nothing behind). */
export function validateCreate(o: CreateOptions) {
  if (o.name !== undefined && !NAME_RE.test(o.name))
    throw new ConmanError('EINVAL', `invalid container name "${o.name}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  if (o.hostname !== undefined && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/.test(o.hostname))
    throw new ConmanError('EINVAL', `invalid hostname "${o.hostname}"`);
  const memory = o.memory !== undefined ? parseSize(o.memory, 'memory') : undefined;
  if (memory !== undefined && memory < 6 * 1024 * 1024)
    throw new ConmanError('EINVAL', `invalid memory "${o.memory}": minimum memory limit allowed is 6MB`);
  let cpus: number | undefined;
  if (o.cpus !== undefined) {
    cpus = Number(o.cpus);
    if (!Number.isFinite(cpus) || cpus <= 0 || cpus > os.cpus().length * 1024)
      throw new ConmanError('EINVAL', `invalid --cpus "${o.cpus}": expected a positive number such as 0.5`);
  }
  const shmSize = o.shmSize !== undefined ? parseSize(o.shmSize, 'shm-size') : undefined;
  if (shmSize !== undefined && shmSize < 1024)
    throw new ConmanError('EINVAL', `invalid --shm-size "${o.shmSize}": /dev/shm needs at least 1k`);
  const cpuShares = o.cpuShares !== undefined ? parseInteger(o.cpuShares, 'cpu-shares') : undefined;
  if (cpuShares !== undefined && (cpuShares < 2 || cpuShares > 262144))
    throw new ConmanError('EINVAL', `invalid --cpu-shares ${o.cpuShares}: must be between 2 and 262144`);
  const cpusetCpus = o.cpusetCpus !== undefined ? parseCpuset(o.cpusetCpus) : undefined;
  const pidsLimit = o.pidsLimit !== undefined ? parseInteger(o.pidsLimit, 'pids-limit') : undefined;
  const stopSignal = o.stopSignal !== undefined ? parseSignal(o.stopSignal) : undefined;
  const stopTimeout = o.stopTimeout !== undefined ? parseInteger(o.stopTimeout, 'stop-timeout') : undefined;
  if (stopTimeout !== undefined && stopTimeout < 0) throw new ConmanError('EINVAL', `invalid stop-timeout ${o.stopTimeout}`);
  const network = o.network ?? 'none';
  if (!network) throw new ConmanError('EINVAL', 'invalid --network ""');
  const mounts = [...(o.volume ?? []).map(parseVolume), ...(o.mount ?? []).map(parseMount), ...(o.tmpfs ?? []).map(parseTmpfs)];
  const caps = (list: string[] | undefined, what: string) =>
    (list ?? []).flatMap((x) => x.split(',')).filter(Boolean).map((x) => {
      const n = normalizeCap(x);
      if (!n) throw new ConmanError('EINVAL', `invalid ${what} "${x}": unknown capability`);
      return n;
    });
  const capAdd = caps(o.capAdd, '--cap-add');
  const capDrop = caps(o.capDrop, '--cap-drop');
  const ulimits = (o.ulimit ?? []).map(parseUlimit);
  const env = new Map<string, string>();
  for (const f of o.envFile ?? []) parseEnvList(readKeyValueFile(f, 'env file'), env, ` in ${f}`);
  parseEnvList(o.env ?? [], env, '');
  const labels: Record<string, string> = {};
  // podman: the files first, then --label, the last value of a key winning
  for (const l of [...(o.labelFile ?? []).flatMap((f) => readKeyValueFile(f, 'label file')), ...(o.label ?? [])]) {
    const i = l.indexOf('=');
    if (i === 0) throw new ConmanError('EINVAL', `invalid label "${l}"`);
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  const entrypoint = o.entrypoint !== undefined ? parseEntrypoint(o.entrypoint) : undefined;
  if (o.cidfile && fs.existsSync(o.cidfile))
    throw new ConmanError('EINVAL', `container id file ${o.cidfile} exists: remove it first`);
  const pull = o.pull ?? 'missing';
  if (!['missing', 'always', 'never', 'newer'].includes(pull)) throw new ConmanError('EINVAL', `invalid --pull "${pull}"`);
  return { memory, shmSize, cpus, cpuShares, cpusetCpus, pidsLimit, stopSignal, stopTimeout, network, mounts, env, labels, entrypoint, pull, capAdd, capDrop, ulimits };
}
