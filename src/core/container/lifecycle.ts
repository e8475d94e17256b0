/**
 * Container lifecycle: create, start, stop, kill, rm, wait, restart. Locks are short: a container's lock is
 * held to check its state and start its shim (until runc reports the pid), never across stop timeouts,
 * waits, log follows or a foreground run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { signalName, signalNumber } from '../../base/signals.js';
import { NAME_RE, allocateContainer, newId, randomName, releaseContainer, resolveContainer, withContainer } from './record.js';
import { liveState, markBoot, rebootPending } from './state.js';
import { buildSpec, isCgroupV2, normalizeCap, parseUlimit, resolveUser } from '../runtime/spec.js';
import { cleanupContainer, dropRuncState, unmountRootfs } from './cleanup.js';
import { setupNetworkHook } from '../network/hooks.js';
import { native } from '../../base/native.js';
import { containerDir, runcRoot, volatileDir, bundleDir, containerFile, exitFile, logFile, mergedDir } from '../../storage/layout.js';
import type { ShimHandle, Started } from '../runtime/shim-client.js';
import { bootId, procStart, processAlive } from '../../base/proc.js';
import { listIds, lookupName, readContainer, writeContainer, type ContainerConfig, type ContainerRecord, type MountSpec } from '../../storage/containers.js';

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
  net?: Omit<import('../network/options.js').NetFlags, 'network'>;
  pull?: string;
  quiet?: boolean;
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

function findInit(o: { init?: boolean; initPath?: string }): string | undefined {
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

// ---------------------------------------------------------------- parsing

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
function parseCpuset(v: string): string {
  const n = os.cpus().length;
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) throw new ConmanError('EINVAL', `invalid --cpuset-cpus "${v}": expected CPU numbers and ranges such as 0-1,3`);
  for (const part of v.split(',')) {
    const [a, b = a] = part.split('-').map(Number) as [number, number?];
    if (b! < a) throw new ConmanError('EINVAL', `invalid --cpuset-cpus "${v}": range ${part} runs backwards`);
    if (b! >= n) throw new ConmanError('EINVAL', `invalid --cpuset-cpus "${v}": this machine has CPUs 0-${n - 1}`);
  }
  return v;
}

function parseInteger(v: string | number, what: string): number {
  const s = String(v).trim();
  if (!/^-?\d+$/.test(s)) throw new ConmanError('EINVAL', `invalid ${what} "${v}": expected an integer`);
  return Number(s);
}

/** --expose 80, 8000-8002/udp → {'80/tcp': {}, '8000/udp': {}, ...} (the image config's ExposedPorts shape) */
function parseExpose(list: string[]): Record<string, object> {
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
const DEFAULT_PIDS_LIMIT = 2048;

/** The caller's environment as the user had it (bin/conman renamed NODE_EXTRA_CA_CERTS on the way in). */
function hostEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (env.CONMAN_EXTRA_CA_CERTS !== undefined) {
    env.NODE_EXTRA_CA_CERTS = env.CONMAN_EXTRA_CA_CERTS;
    delete env.CONMAN_EXTRA_CA_CERTS;
  }
  return env;
}

function parseEnvList(list: string[], into: Map<string, string>, where: string): void {
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

function parseVolume(v: string): MountSpec {
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

function parseMount(v: string): MountSpec {
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
function parseTmpfs(v: string): MountSpec {
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

function parseEntrypoint(v: string): string[] {
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

// ---------------------------------------------------------------- create

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

function etcFiles(dir: string, id: string, hostname: string): void {
  fs.writeFileSync(path.join(dir, 'hostname'), `${hostname}\n`);
  fs.writeFileSync(
    path.join(dir, 'hosts'),
    `127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost localhost.localdomain\n127.0.1.1\t${hostname} ${id.slice(0, 12)}\n`,
  );
  let resolv = '';
  try {
    resolv = fs
      .readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l))
      .join('\n');
  } catch {
    /* none */
  }
  fs.writeFileSync(path.join(dir, 'resolv.conf'), resolv);
}

export async function createContainer(ctx: Context, o: CreateOptions): Promise<ContainerRecord> {
  const v = validateCreate(o);
  const { parseNetFlags, addExposed } = await import('../network/options.js');
  const netv = parseNetFlags(ctx, { ...o.net, network: o.network });
  const images = await import('../image/store.js');
  let img = v.pull === 'always' ? undefined : await images.findImage(ctx, o.image);
  if (!img) {
    if (v.pull === 'never') throw new ConmanError('ENOSUCHIMAGE', `${o.image}: image not known`);
    const po = o.pullOptions ?? {};
    const creds = po.creds ? (await import('../image/auth.js')).parseCredsFlag(po.creds) : undefined;
    img = await images.pullImage(ctx, o.image, { quiet: o.quiet ?? true, tlsVerify: po.tlsVerify, creds, authfile: po.authfile });
  }
  const ic = (await images.imageConfig(ctx, img)).config ?? {};
  const lower = images.layerDiffDirs(ctx, img);

  const id = newId();
  const name = o.name ?? randomName();
  const env = new Map<string, string>();
  parseEnvList(ic.Env ?? [], env, ' in the image');
  if (!env.has('PATH')) env.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  if (!env.has('TERM')) env.set('TERM', 'xterm'); // podman sets it for every container
  env.set('container', 'conman');
  for (const [k, val] of v.env) env.set(k, val);
  const hostname = o.hostname ?? (netv.network === 'host' ? os.hostname() : id.slice(0, 12));
  if (!env.has('HOSTNAME')) env.set('HOSTNAME', hostname);

  const entrypoint = v.entrypoint ?? ic.Entrypoint ?? [];
  const cmd = o.command.length ? o.command : v.entrypoint !== undefined ? [] : (ic.Cmd ?? []);
  if (entrypoint.length + cmd.length === 0)
    throw new ConmanError('EINVAL', `no command or entrypoint provided, and no CMD or ENTRYPOINT from image ${o.image}`);

  const imgName = img.names.find((n) => n.endsWith(o.image) || n.endsWith(`/${o.image}:latest`)) ?? img.names[0] ?? img.id;
  const config: ContainerConfig = {
    entrypoint,
    cmd,
    env: [...env].map(([k, val]) => `${k}=${val}`),
    workingDir: o.workdir ?? (ic.WorkingDir || '/'),
    user: o.user ?? (ic.User || ''),
    hostname,
    labels: { ...(ic.Labels ?? {}), ...v.labels },
    mounts: v.mounts,
    readOnly: !!o.readOnly,
    memory: v.memory,
    shmSize: v.shmSize,
    cpus: v.cpus,
    cpuShares: v.cpuShares,
    cpusetCpus: v.cpusetCpus,
    pidsLimit: v.pidsLimit ?? DEFAULT_PIDS_LIMIT,
    stopSignal: v.stopSignal ?? (ic.StopSignal ? parseSignal(ic.StopSignal) : 'SIGTERM'),
    stopTimeout: v.stopTimeout ?? 10,
    autoRemove: !!o.rm,
    interactive: !!o.interactive,
    tty: !!o.tty,
    capAdd: v.capAdd.length ? v.capAdd : undefined,
    capDrop: v.capDrop.length ? v.capDrop : undefined,
    privileged: o.privileged || undefined,
    init: findInit(o),
    ulimits: v.ulimits.length ? v.ulimits : undefined,
    network: netv.network,
    extra: { lowerDirs: lower, net: addExposed(netv.extra, { ...(ic.ExposedPorts ?? {}), ...parseExpose(o.expose ?? []) }) },
  };
  const rec: ContainerRecord = {
    schema: 1,
    id,
    name,
    created: new Date().toISOString(),
    image: { id: img.id, name: imgName },
    config,
    state: { status: 'created', pid: 0, shimPid: 0, exitCode: 0, oomKilled: false },
  };
  if (o.replace && o.name) {
    const old = lookupName(ctx, o.name);
    // (a corrupt container.json still counts: removeContainer -f salvages it)
    if (old && fs.existsSync(containerFile(ctx, old))) await removeContainer(ctx, old, { force: true });
  }
  await allocateContainer(ctx, rec, (dir) => {
    for (const d of ['upper', 'work', 'merged', 'bundle']) fs.mkdirSync(path.join(dir, d));
    etcFiles(dir, id, hostname);
    fs.writeFileSync(path.join(dir, 'ctr.log'), '');
  });
  if (o.cidfile) {
    try {
      fs.writeFileSync(o.cidfile, id, { flag: 'wx' });
    } catch (e) {
      await removeContainer(ctx, id, { force: true });
      throw new ConmanError('EINVAL', `cannot write container id file ${o.cidfile}: ${(e as Error).message}`);
    }
  }
  return rec;
}

// ---------------------------------------------------------------- start

export interface StartOptions {
  /** a shim spawned earlier (run spawns it first thing); otherwise one is spawned here */
  shim?: ShimHandle;
  /** the shim streams output and the exit code to this CLI over fd 3 */
  foreground?: boolean;
  rows?: number;
  cols?: number;
}

function mountRootfs(ctx: Context, rec: ContainerRecord): string {
  const dir = containerDir(ctx, rec.id);
  const merged = mergedDir(ctx, rec.id);
  const lower = ((rec.config.extra?.lowerDirs as string[]) ?? []).slice().reverse();
  if (lower.length === 0) throw new ConmanError('ESTATE', `container ${rec.id.slice(0, 12)} has no image layers recorded`);
  for (const l of lower)
    if (!fs.existsSync(l)) throw new ConmanError('ESTATE', `image layer ${l} of container ${rec.name} is missing`);
  let data = `lowerdir=${lower.join(':')},upperdir=${path.join(dir, 'upper')},workdir=${path.join(dir, 'work')}`;
  if (rec.config.autoRemove) {
    // like podman, a --rm container's overlay is `volatile`: its unmount does not sync the whole upper
    // filesystem (with other programs' dirty data that took 10-250 ms here). A leftover marker of a crashed
    // volatile mount would make the kernel refuse the mount: it is only ours, drop it.
    data += ',volatile';
    fs.rmSync(path.join(dir, 'work', 'work', 'incompat'), { recursive: true, force: true });
  }
  try {
    native(ctx.installDir).mount('overlay', merged, 'overlay', 0, data);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EBUSY') return merged;
    throw new ConmanError('ERUNTIME', `cannot mount the container's rootfs on ${merged}: ${(e as Error).message}`, { cause: e });
  }
  return merged;
}

/** runc's error text → podman's exit codes: 127 not found, 126 not executable, else 125. */
function runtimeError(msg: string): ConmanError {
  const m = msg.replace(/^runc run failed: /, '');
  if (/executable file not found|no such file or directory/.test(m))
    return new ConmanError('ENOTFOUND', `${ctxRuntimeName}: ${m}: OCI runtime attempted to invoke a command that was not found`);
  if (/permission denied|exec format error|is a directory/.test(m))
    return new ConmanError('ENOTEXEC', `${ctxRuntimeName}: ${m}: OCI permission denied`);
  return new ConmanError('ERUNTIME', `${ctxRuntimeName}: ${m}`);
}
let ctxRuntimeName = 'runc';

/**
 * Starts a created or exited container: mount, network setup, spec, shim, runc. Returns once runc reported
 * the container's pid (or failed). The shim is left attached when opts.foreground.
 */
export async function startContainer(ctx: Context, id: string, opts: StartOptions = {}): Promise<{ rec: ContainerRecord; shim: ShimHandle; started: Started } | undefined> {
  ctxRuntimeName = path.basename(ctx.runtime);
  let shim = opts.shim;
  try {
    return await withContainer(ctx, id, async (rec) => {
      const st = liveState(ctx, rec);
      if (st.status === 'running' || st.status === 'stopping') {
        if (opts.foreground) throw new ConmanError('ECTRSTATE', `container ${rec.name} is already running`);
        shim?.abort();
        return undefined;
      }
      if (st.status === 'removing') throw new ConmanError('ECTRSTATE', `container ${rec.name} is being removed`);
      // leftovers of a run whose shim died
      if (rec.state.mounted || rec.state.status !== 'created') unmountRootfs(ctx, id);
      dropRuncState(ctx, id);
      fs.rmSync(exitFile(ctx, id), { force: true });
      const rootfs = mountRootfs(ctx, rec);
      let started: Started;
      try {
        const user = resolveUser(rootfs, rec.config.user);
        const net = await setupNetworkHook(ctx, rec); // network setup: see nethooks.ts
        const dir = containerDir(ctx, id);
        const extraMounts = [
          { source: path.join(dir, 'hosts'), destination: '/etc/hosts' },
          { source: path.join(dir, 'hostname'), destination: '/etc/hostname' },
          { source: path.join(dir, 'resolv.conf'), destination: '/etc/resolv.conf' },
          ...(net.extraMounts ?? []),
        ];
        const spec = buildSpec(rec, { rootfs, user, netnsPath: net.netnsPath, extraMounts });
        fs.writeFileSync(path.join(bundleDir(ctx, id), 'config.json'), JSON.stringify(spec));
        const vdir = volatileDir(ctx, id);
        fs.mkdirSync(vdir, { recursive: true });
        fs.rmSync(path.join(vdir, 'pid'), { force: true });
        if (!shim) {
          const { spawnShim } = await import('../runtime/shim-client.js');
          shim = spawnShim(ctx);
        }
        try {
          started = await shim.start({
            id,
            root: ctx.root,
            runroot: ctx.runroot,
            runtime: ctx.runtime,
            installDir: ctx.installDir,
            bundle: bundleDir(ctx, id),
            runcRoot: runcRoot(ctx),
            pidFile: path.join(vdir, 'pid'),
            runcLog: path.join(vdir, 'runc.log'),
            logPath: logFile(ctx, id),
            exitPath: exitFile(ctx, id),
            attachPath: path.join(vdir, 'attach'),
            stdin: rec.config.interactive,
            tty: rec.config.tty,
            foreground: !!opts.foreground,
            autoRemove: rec.config.autoRemove,
            rows: opts.rows,
            cols: opts.cols,
            oomFile: rec.config.memory
              ? isCgroupV2()
                ? `/sys/fs/cgroup/conman/${id}/memory.events`
                : `/sys/fs/cgroup/memory/conman/${id}/memory.oom_control`
              : undefined,
          });
        } catch (e) {
          const f = e as { error?: string };
          if (f && typeof f.error === 'string') throw runtimeError(f.error);
          throw e;
        }
      } catch (e) {
        shim?.abort();
        try {
          unmountRootfs(ctx, id);
        } catch {
          /* reported below */
        }
        try {
          const { teardownNetworkHook } = await import('../network/hooks.js');
          await teardownNetworkHook(ctx, rec); // nothing half-made: release what setupNetworkHook took
        } catch {
          /* stale network setups are cleaned up by the next setup */
        }
        rec.state = { ...st, mounted: false, error: (e as Error).message };
        writeContainer(ctx, rec);
        throw e;
      }
      rec.state = {
        status: 'running',
        pid: started.pid,
        pidStart: started.pidStart,
        shimPid: shim.pid,
        shimStart: procStart(shim.pid),
        startedAt: new Date().toISOString(),
        exitCode: 0,
        oomKilled: false,
        mounted: true,
        bootId: bootId(),
      };
      writeContainer(ctx, rec);
      return { rec, shim, started };
    });
  } catch (e) {
    shim?.abort();
    throw e;
  }
}

// ---------------------------------------------------------------- stop, kill, wait, rm

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Current record with its live state (no lock). */
export function current(ctx: Context, id: string): ContainerRecord | undefined {
  const rec = readContainer(ctx, id);
  if (!rec) return undefined;
  return { ...rec, state: liveState(ctx, rec) };
}

function isRunning(rec: ContainerRecord | undefined): boolean {
  return !!rec && (rec.state.status === 'running' || rec.state.status === 'stopping');
}

/** Waits until the container is no longer running; true if it stopped within ms. */
async function waitStopped(ctx: Context, id: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (!isRunning(current(ctx, id))) return true;
    if (Date.now() >= end) return false;
    await sleep(20);
  }
}

/** After the container stopped: waits for its shim's cleanup; does it here if the shim is gone. */
async function waitCleanedUp(ctx: Context, id: string): Promise<void> {
  const rec = readContainer(ctx, id);
  if (!rec) return;
  const end = Date.now() + 10_000;
  while (processAlive(rec.state.shimPid, rec.state.shimStart) && Date.now() < end) await sleep(10);
  const again = readContainer(ctx, id);
  if (again && (again.state.status === 'running' || again.state.status === 'stopping' || again.state.mounted)) {
    await cleanupContainer(ctx, id);
  }
}

function sendSignal(rec: ContainerRecord, sig: string): void {
  try {
    process.kill(rec.state.pid, sig as NodeJS.Signals);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw new ConmanError('ERUNTIME', `cannot signal container ${rec.name}: ${(e as Error).message}`);
  }
}

export async function killContainer(ctx: Context, ref: string, signal = 'SIGKILL'): Promise<ContainerRecord> {
  const sig = parseSignal(signal);
  const rec = resolveContainer(ctx, ref);
  const cur = current(ctx, rec.id)!;
  if (!isRunning(cur) || !processAlive(cur.state.pid, cur.state.pidStart))
    throw new ConmanError('ECTRSTATE', `can only kill running containers. ${rec.id} is in state ${cur.state.status}: container state improper`);
  sendSignal(cur, sig);
  return rec;
}

export async function stopContainer(ctx: Context, ref: string, timeout?: number): Promise<ContainerRecord> {
  const rec = resolveContainer(ctx, ref);
  const cur = current(ctx, rec.id)!;
  if (isRunning(cur)) {
    const t = timeout ?? rec.config.stopTimeout;
    if (processAlive(cur.state.pid, cur.state.pidStart)) {
      if (t > 0) sendSignal(cur, rec.config.stopSignal);
      if (!(await waitStopped(ctx, rec.id, t * 1000))) {
        if (t > 0) ctx.warn(`StopSignal ${rec.config.stopSignal} failed to stop container ${rec.name} in ${t} seconds, resorting to SIGKILL`);
        const again = current(ctx, rec.id);
        if (again && isRunning(again)) sendSignal(again, 'SIGKILL');
        await waitStopped(ctx, rec.id, 15_000);
      }
    }
  }
  await waitCleanedUp(ctx, rec.id);
  return rec;
}

/** Blocks until the container exits; returns its exit code. */
export async function waitContainer(ctx: Context, ref: string): Promise<number> {
  let rec: ContainerRecord;
  try {
    rec = resolveContainer(ctx, ref);
  } catch (e) {
    // `cid=$(conman run -d --rm …); conman wait $cid` after the container already exited and was removed
    if (/^[0-9a-f]{64}$/.test(ref)) {
      const code = (await import('./cleanup.js')).readTombstone(ctx, ref);
      if (code !== undefined) return code;
    }
    throw e;
  }
  for (;;) {
    const cur = current(ctx, rec.id);
    if (!cur) {
      // removed by its --rm cleanup meanwhile: the exit code was kept aside
      const { readTombstone } = await import('./cleanup.js');
      const code = readTombstone(ctx, rec.id);
      if (code !== undefined) return code;
      throw new ConmanError('ENOSUCHCTR', `container ${rec.name} was removed before its exit code could be read`);
    }
    if (cur.state.status === 'exited') return cur.state.exitCode;
    await sleep(cur.state.status === 'created' ? 100 : 20);
  }
}

export async function removeContainer(ctx: Context, ref: string, opts: { force?: boolean; time?: number } = {}): Promise<ContainerRecord> {
  let rec: ContainerRecord;
  try {
    rec = resolveContainer(ctx, ref);
  } catch (e) {
    // a corrupt container.json: -f still removes whatever is left of the container
    if (opts.force && e instanceof ConmanError && e.code === 'ESTATE') return (await import('./salvage.js')).removeCorrupt(ctx, ref, e);
    throw e;
  }
  const cur = current(ctx, rec.id)!;
  if (isRunning(cur)) {
    if (!opts.force)
      throw new ConmanError(
        'ECTRSTATE',
        `cannot remove container ${rec.id} as it is running - running or paused containers cannot be removed without force: container state improper`,
      );
    await stopContainer(ctx, rec.id, opts.time ?? 0);
  } else {
    // a shim may still be finishing its cleanup
    const end = Date.now() + 10_000;
    while (processAlive(cur.state.shimPid, cur.state.shimStart) && Date.now() < end) await sleep(10);
  }
  if (!readContainer(ctx, rec.id)) return rec; // --rm cleanup removed it
  const r = await withContainer(ctx, rec.id, async (r) => {
    const st = liveState(ctx, r);
    if (st.status === 'running' || st.status === 'stopping')
      throw new ConmanError('ECTRSTATE', `container ${rec.name} was started again while being removed`);
    unmountRootfs(ctx, r.id);
    const { teardownNetworkHook } = await import('../network/hooks.js');
    await teardownNetworkHook(ctx, r);
    dropRuncState(ctx, r.id);
    r.state = { ...st, status: 'removing', mounted: false };
    writeContainer(ctx, r);
    return r;
  });
  fs.rmSync(volatileDir(ctx, rec.id), { recursive: true, force: true });
  await releaseContainer(ctx, r);
  return r;
}

/** Makes state right after a reboot or a wiped runroot: every container that was running is exited. */
export async function reconcileAfterReboot(ctx: Context): Promise<void> {
  if (!rebootPending(ctx)) return;
  for (const id of listIds(ctx)) {
    const rec = readContainer(ctx, id);
    if (!rec || (rec.state.status !== 'running' && rec.state.status !== 'stopping' && !rec.state.mounted)) continue;
    try {
      await withContainer(ctx, id, (r) => {
        const st = liveState(ctx, r, true);
        try {
          unmountRootfs(ctx, id);
        } catch {
          /* stale: leave it */
        }
        dropRuncState(ctx, id);
        r.state = { ...st, mounted: false };
        writeContainer(ctx, r);
      });
    } catch {
      /* removed meanwhile */
    }
  }
  markBoot(ctx);
}

export { containerFile };
