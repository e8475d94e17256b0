/**
 * The OCI runtime spec (bundle/config.json) conman hands to runc: podman's defaults for namespaces,
 * mounts, capabilities, masked paths; rlimits never above the host's hard limits; cgroups through runc's
 * cgroupfs driver at /conman/<id> (v1 and v2: runc maps memory/pids/cpu to the right files).
 */
import fs from 'node:fs';
import { ConmanError } from '../../base/errors.js';
import { DEFAULT_SHM_SIZE, type ContainerRecord } from '../../storage/containers.js';
import type { ResolvedUser } from './user.js';

export const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
];

export const ALL_CAPS = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
].map((c) => `CAP_${c}`);

/** Where --init's binary appears inside the container. */
const INIT_PATH = '/run/conman-init';

/** `net_admin`, `NET_ADMIN`, `CAP_NET_ADMIN` → `CAP_NET_ADMIN`; `all` → `ALL`; undefined if unknown. */
export function normalizeCap(c: string): string | undefined {
  const u = c.trim().toUpperCase();
  if (u === 'ALL') return 'ALL';
  const n = u.startsWith('CAP_') ? u : `CAP_${u}`;
  return ALL_CAPS.includes(n) ? n : undefined;
}

/** The capabilities conman itself may hand out (its bounding set): "all" means these, like podman. */
function boundingCaps(): string[] {
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (!m) return ALL_CAPS;
    const bits = BigInt(`0x${m[1]}`);
    return ALL_CAPS.filter((_, i) => (bits >> BigInt(i)) & 1n);
  } catch {
    return ALL_CAPS;
  }
}

export function effectiveCaps(c: { capAdd?: string[]; capDrop?: string[]; privileged?: boolean }): string[] {
  if (c.privileged) return boundingCaps();
  const add = c.capAdd ?? [];
  const drop = c.capDrop ?? [];
  let caps = add.includes('ALL') ? boundingCaps() : [...DEFAULT_CAPS, ...add.filter((x) => !DEFAULT_CAPS.includes(x))];
  if (drop.includes('ALL')) caps = add.filter((x) => x !== 'ALL');
  else caps = caps.filter((x) => !drop.includes(x));
  return caps;
}

const RLIMIT_NAMES: Record<string, [string, string]> = {
  // --ulimit name → [OCI type, /proc/self/limits row]
  core: ['RLIMIT_CORE', 'Max core file size'],
  cpu: ['RLIMIT_CPU', 'Max cpu time'],
  data: ['RLIMIT_DATA', 'Max data size'],
  fsize: ['RLIMIT_FSIZE', 'Max file size'],
  locks: ['RLIMIT_LOCKS', 'Max file locks'],
  memlock: ['RLIMIT_MEMLOCK', 'Max locked memory'],
  msgqueue: ['RLIMIT_MSGQUEUE', 'Max msgqueue size'],
  nice: ['RLIMIT_NICE', 'Max nice priority'],
  nofile: ['RLIMIT_NOFILE', 'Max open files'],
  nproc: ['RLIMIT_NPROC', 'Max processes'],
  rss: ['RLIMIT_RSS', 'Max resident set'],
  rtprio: ['RLIMIT_RTPRIO', 'Max realtime priority'],
  rttime: ['RLIMIT_RTTIME', 'Max realtime timeout'],
  sigpending: ['RLIMIT_SIGPENDING', 'Max pending signals'],
  stack: ['RLIMIT_STACK', 'Max stack size'],
};

/** `nofile=1024:2048` → an OCI rlimit; refuses values above the host's hard limit (the kernel would). */
export function parseUlimit(v: string): { type: string; soft: number; hard: number } {
  const m = /^([a-z]+)=(-1|\d+)(?::(-1|\d+))?$/.exec(v.trim());
  const def = m ? RLIMIT_NAMES[m[1]!] : undefined;
  if (!m || !def) throw new ConmanError('EINVAL', `invalid --ulimit "${v}": expected NAME=SOFT[:HARD] with NAME one of ${Object.keys(RLIMIT_NAMES).join(', ')}`);
  const num = (x: string) => (x === '-1' ? Number.MAX_SAFE_INTEGER : Number(x));
  const soft = num(m[2]!);
  const hard = m[3] !== undefined ? num(m[3]) : soft;
  if (soft > hard) throw new ConmanError('EINVAL', `invalid --ulimit "${v}": the soft limit is above the hard limit`);
  const host = hostHardLimit(def[1]);
  if (hard > host)
    throw new ConmanError('EINVAL', `invalid --ulimit "${v}": ${hard === Number.MAX_SAFE_INTEGER ? 'unlimited' : hard} is above the host's hard limit ${host}`, {
      hint: 'a container cannot raise a limit above what conman itself runs with',
    });
  return { type: def[0], soft, hard };
}

const MASKED = [
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/fs/selinux',
  '/sys/dev/block',
];
const READONLY = ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The host's hard limit for a resource, from /proc/self/limits ("unlimited" → Infinity). */
function hostHardLimit(name: string): number {
  try {
    const line = fs
      .readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(name));
    const v = line?.slice(26).trim().split(/\s+/)[1];
    if (!v) return Infinity;
    return v === 'unlimited' ? Infinity : Number(v);
  } catch {
    return Infinity;
  }
}

export const isCgroupV2 = (): boolean => fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

export interface SpecOptions {
  rootfs: string;
  user: ResolvedUser;
  /** network namespace to join (a bind-mounted netns file); undefined = a fresh one (or none for host) */
  netnsPath?: string;
  /** extra bind mounts such as /etc/hosts, /etc/resolv.conf, /etc/hostname from the container dir */
  extraMounts?: Array<{ source: string; destination: string; readonly?: boolean }>;
}

export function buildSpec(rec: ContainerRecord, o: SpecOptions): Record<string, unknown> {
  const c = rec.config;
  // --init: a small init as PID 1 forwards signals to the command and reaps zombies (podman mounts catatonit
  // the same way, at /run/podman-init)
  const args = c.init ? [INIT_PATH, '--', ...c.entrypoint, ...c.cmd] : [...c.entrypoint, ...c.cmd];
  if (args.length === 0) throw new ConmanError('EINVAL', 'no command specified for the container: the image has no Cmd or Entrypoint and none was given');
  const env = [...c.env];
  if (o.user.home && !env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${o.user.home}`);
  if (!env.some((e) => e.startsWith('HOME='))) env.push('HOME=/root');
  const nofile = Math.min(1048576, hostHardLimit('Max open files'));
  const rlimits: Array<{ type: string; soft: number; hard: number }> = Number.isFinite(nofile)
    ? [{ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile }]
    : [];
  for (const u of c.ulimits ?? []) {
    const i = rlimits.findIndex((r) => r.type === u.type);
    if (i >= 0) rlimits.splice(i, 1);
    rlimits.push(u);
  }
  const caps = effectiveCaps(c);

  const ns: Array<{ type: string; path?: string }> = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (c.network !== 'host') ns.push(o.netnsPath ? { type: 'network', path: o.netnsPath } : { type: 'network' });
  if (isCgroupV2()) ns.push({ type: 'cgroup' });

  const mounts: Array<Record<string, unknown>> = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${Math.floor((c.shmSize ?? DEFAULT_SHM_SIZE) / 1024)}k`] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    c.network === 'host'
      ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', c.privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', c.privileged ? 'rw' : 'ro'] },
  ];
  if (c.readOnly) {
    for (const d of ['/tmp', '/var/tmp', '/run']) {
      if (!c.mounts.some((m) => m.destination === d))
        mounts.push({ destination: d, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'nosuid', 'nodev', 'mode=1777'] });
    }
  }
  for (const m of o.extraMounts ?? []) {
    if (c.mounts.some((u) => u.destination === m.destination)) continue;
    mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: ['bind', 'rprivate', m.readonly ? 'ro' : 'rw'] });
  }
  if (c.init) mounts.push({ destination: INIT_PATH, type: 'bind', source: c.init, options: ['bind', 'ro', 'nosuid', 'nodev'] });
  for (const m of c.mounts) {
    if (m.type === 'tmpfs') {
      mounts.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...m.options, ...(m.readonly ? ['ro'] : [])] });
    } else {
      mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: ['rbind', 'rprivate', ...m.options, m.readonly ? 'ro' : 'rw'] });
    }
  }

  const resources: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }] };
  if (c.memory) resources.memory = { limit: c.memory };
  const cpu: Record<string, unknown> = {};
  if (c.cpus) Object.assign(cpu, { quota: Math.round(c.cpus * 100000), period: 100000 });
  if (c.cpuShares) cpu.shares = c.cpuShares; // runc turns shares into cpu.weight on cgroup v2
  if (c.cpusetCpus) cpu.cpus = c.cpusetCpus;
  if (Object.keys(cpu).length) resources.cpu = cpu;
  if (c.pidsLimit && c.pidsLimit > 0) resources.pids = { limit: c.pidsLimit };

  return {
    ociVersion: '1.0.2',
    process: {
      terminal: c.tty,
      user: { uid: o.user.uid, gid: o.user.gid, additionalGids: o.user.additionalGids },
      args,
      env,
      cwd: c.workingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits,
      noNewPrivileges: false,
    },
    root: { path: o.rootfs, readonly: c.readOnly },
    hostname: c.hostname,
    mounts,
    annotations: { 'io.conman.name': rec.name },
    linux: {
      cgroupsPath: `/conman/${rec.id}`,
      namespaces: ns,
      resources,
      maskedPaths: c.privileged ? [] : MASKED,
      readonlyPaths: c.privileged ? [] : READONLY,
    },
  };
}
