/**
 * Seccomp profiles, resolved to the OCI runtime spec's `linux.seccomp` for one container: conman's default
 * (./default.json) and a user's `--security-opt seccomp=PROFILE.json`.
 *
 * Profiles are written in docker's format, a superset of the OCI one: entries may carry `includes`/`excludes`
 * (capabilities, architectures, a minimum kernel) and the architectures may come as an `archMap`. runc knows none
 * of that, so it is decided here, for the container's capabilities and the host's architecture; what comes out
 * holds only fields runc 1.1 accepts. An OCI-format file resolves to itself (after the same checks).
 *
 * This runs on every container start: the default profile is bundled data (parsed once, never validated at run
 * time: the unit tests check it), and nothing heavier than node:fs and node:os is imported.
 */
import fs from 'node:fs';
import os from 'node:os';
import { ConmanError } from '../../../base/errors.js';
import defaultData from './default.json' with { type: 'json' };

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

/** One rule of the OCI `linux.seccomp.syscalls`. */
export interface OciSeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}

/** The OCI runtime spec's `linux.seccomp`, as runc 1.1 reads it. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: OciSeccompSyscall[];
}

export interface SeccompFilter {
  caps?: string[];
  /** Go's names (amd64, arm64, arm, 386, s390x, ...), as docker's profiles use them. */
  arches?: string[];
  /** "major.minor" */
  minKernel?: string;
}

export interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
  comment?: string;
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

/** A profile in docker's format (an OCI-format one is a special case of it). */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] | null }[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: SeccompRule[];
}

/** What runc 1.1 (libseccomp 2.5) accepts: anything else is refused here, with the file's name, not by runc. */
const ACTIONS = new Set([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
]);
const OPS = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);
const ARCHES = new Set([
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_RISCV64',
]);
const FLAGS = new Set(['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW']);

/** Node's process.arch → [libseccomp's name, Go's name] (the latter is what `includes.arches` speaks). */
const ARCH_NAMES: Record<string, [string, string]> = {
  x64: ['SCMP_ARCH_X86_64', 'amd64'],
  arm64: ['SCMP_ARCH_AARCH64', 'arm64'],
  ia32: ['SCMP_ARCH_X86', '386'],
  arm: ['SCMP_ARCH_ARM', 'arm'],
  s390x: ['SCMP_ARCH_S390X', 's390x'],
  ppc64: ['SCMP_ARCH_PPC64LE', 'ppc64le'],
  riscv64: ['SCMP_ARCH_RISCV64', 'riscv64'],
  mips64el: ['SCMP_ARCH_MIPSEL64', 'mips64le'],
};

/** A user's profile is read whole into memory: this is far above any real one (docker's is ~20 KiB). */
export const MAX_PROFILE_BYTES = 1 << 20;

const DEFAULT = defaultData as SeccompProfile;

/** conman's default profile for a container with these capabilities (`CAP_SYS_ADMIN` style) on `arch`. */
export function seccompFor(caps: readonly string[], arch: string = process.arch): OciSeccomp {
  return resolveSeccomp(DEFAULT, caps, arch);
}

/** Reads, checks and resolves a user's profile (docker's or the OCI format). Errors name the file. */
export function loadSeccompFile(file: string, caps: readonly string[], arch: string = process.arch): OciSeccomp {
  return resolveSeccomp(readSeccompFile(file), caps, arch);
}

/** Reads and checks a profile file, without resolving it: for checking `--security-opt` at create time. */
export function readSeccompFile(file: string): SeccompProfile {
  let text: string;
  let fd: number | undefined;
  try {
    // O_NONBLOCK: a FIFO must not hang the start; it is refused as not a regular file just below.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new ConmanError('EINVAL', `seccomp profile ${file}: not a regular file`);
    if (st.size > MAX_PROFILE_BYTES) {
      throw new ConmanError('EINVAL', `seccomp profile ${file}: ${st.size} bytes, more than the ${MAX_PROFILE_BYTES} allowed`);
    }
    // Read to EOF (not st.size: the file may change under us), still bounded.
    const buf = Buffer.alloc(MAX_PROFILE_BYTES + 1);
    let n = 0;
    while (n < buf.length) {
      const r = fs.readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > MAX_PROFILE_BYTES) throw new ConmanError('EINVAL', `seccomp profile ${file}: more than ${MAX_PROFILE_BYTES} bytes`);
    text = buf.toString('utf8', 0, n);
  } catch (e) {
    if (e instanceof ConmanError) throw e;
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new ConmanError('EINVAL', `cannot read seccomp profile ${file}: ${why}`, { cause: e });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return parseSeccompProfile(text, file);
}

/** Parses and checks a profile's text; `where` names it in errors. */
export function parseSeccompProfile(text: string, where: string): SeccompProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConmanError('EINVAL', `seccomp profile ${where}: not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return checkProfile(raw, where);
}

/**
 * Decides `includes`/`excludes` for these capabilities and this architecture, as docker does: an entry applies
 * if the container has all of `includes.caps`, none of `excludes.caps`, the architecture is in `includes.arches`
 * (if given) and not in `excludes.arches`, and the kernel is at least `includes.minKernel` (below
 * `excludes.minKernel`). The architectures are the profile's own list, or the host's row of `archMap`.
 */
export function resolveSeccomp(p: SeccompProfile, caps: readonly string[], arch: string = process.arch): OciSeccomp {
  const [scmpArch, goArch] = ARCH_NAMES[arch] ?? ['', arch];
  const have = new Set(caps.map(capName));
  let architectures = p.architectures;
  if (!architectures?.length && p.archMap) {
    const row = p.archMap.find((m) => m.architecture === scmpArch);
    // No row for this host: no list, and runc filters the native architecture only (as docker does).
    architectures = row ? [row.architecture, ...(row.subArchitectures ?? [])] : undefined;
  }

  const syscalls: OciSeccompSyscall[] = [];
  // Plain rules (no args) already emitted, per action: with several capabilities a name can be unlocked twice
  // (syslog by CAP_SYS_ADMIN and CAP_SYSLOG); once is enough.
  const plain = new Map<string, Set<string>>();
  for (const r of p.syscalls) {
    if (!applies(r, have, goArch)) continue;
    let names = r.names;
    if (!r.args?.length) {
      const key = `${r.action}/${r.errnoRet ?? ''}`;
      let seen = plain.get(key);
      if (!seen) plain.set(key, (seen = new Set()));
      names = names.filter((n) => !seen.has(n));
      if (!names.length) continue;
      for (const n of names) seen.add(n);
    }
    const out: OciSeccompSyscall = { names: names === r.names ? [...names] : names, action: r.action };
    if (r.errnoRet !== undefined) out.errnoRet = r.errnoRet;
    if (r.args?.length) out.args = r.args.map((a) => ({ ...a }));
    syscalls.push(out);
  }

  const res: OciSeccomp = { defaultAction: p.defaultAction, syscalls };
  if (p.defaultErrnoRet !== undefined) res.defaultErrnoRet = p.defaultErrnoRet;
  if (architectures?.length) res.architectures = [...architectures];
  if (p.flags?.length) res.flags = [...p.flags];
  if (p.listenerPath) res.listenerPath = p.listenerPath;
  if (p.listenerMetadata) res.listenerMetadata = p.listenerMetadata;
  return res;
}

function applies(r: SeccompRule, have: Set<string>, goArch: string): boolean {
  const inc = r.includes;
  if (inc) {
    if (inc.caps?.length && !inc.caps.every((c) => have.has(capName(c)))) return false;
    if (inc.arches?.length && !inc.arches.includes(goArch)) return false;
    if (inc.minKernel && !kernelAtLeast(inc.minKernel)) return false;
  }
  const exc = r.excludes;
  if (exc) {
    if (exc.caps?.some((c) => have.has(capName(c)))) return false;
    if (exc.arches?.includes(goArch)) return false;
    if (exc.minKernel && kernelAtLeast(exc.minKernel)) return false;
  }
  return true;
}

function capName(c: string): string {
  const u = c.toUpperCase();
  return u.startsWith('CAP_') ? u : `CAP_${u}`;
}

let kernel: [number, number] | undefined;

function kernelAtLeast(v: string): boolean {
  kernel ??= parseVersion(os.release()) ?? [0, 0];
  const want = parseVersion(v) ?? [0, 0];
  return kernel[0] > want[0] || (kernel[0] === want[0] && kernel[1] >= want[1]);
}

function parseVersion(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

// --- shape checks of a user's file: every message says where in the file ---

function checkProfile(raw: unknown, where: string): SeccompProfile {
  const bad = (at: string, what: string): never => {
    throw new ConmanError('EINVAL', `seccomp profile ${where}: ${at}: ${what}`);
  };
  if (!isObject(raw)) return bad('top level', 'not a JSON object');
  const p = raw;
  const action = (v: unknown, at: string): string =>
    typeof v === 'string' && ACTIONS.has(v) ? v : bad(at, `unknown action ${JSON.stringify(v)}`);
  const errno = (v: unknown, at: string): number | undefined =>
    v === undefined || v === null ? undefined : isUint(v, 0xffff) ? v : bad(at, 'not an errno number');
  const strings = (v: unknown, at: string, allowed?: Set<string>): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) return bad(at, 'not a list of strings');
    for (const s of v) if (allowed && !allowed.has(s)) bad(at, `unknown value ${JSON.stringify(s)}`);
    return v as string[];
  };
  const filter = (v: unknown, at: string): SeccompFilter | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) return bad(at, 'not an object');
    const f: SeccompFilter = {};
    const caps = strings(v.caps, `${at}.caps`);
    const arches = strings(v.arches, `${at}.arches`);
    if (caps?.length) f.caps = caps;
    if (arches?.length) f.arches = arches;
    if (v.minKernel !== undefined && v.minKernel !== null && v.minKernel !== '') {
      if (typeof v.minKernel !== 'string' || !/^\d+\.\d+$/.test(v.minKernel)) bad(`${at}.minKernel`, 'not "major.minor"');
      f.minKernel = v.minKernel as string;
    }
    return f;
  };

  const out: SeccompProfile = { defaultAction: action(p.defaultAction, 'defaultAction'), syscalls: [] };
  const defErrno = errno(p.defaultErrnoRet, 'defaultErrnoRet');
  if (defErrno !== undefined) out.defaultErrnoRet = defErrno;
  const archs = strings(p.architectures, 'architectures', ARCHES);
  if (archs?.length) out.architectures = archs;
  if (p.archMap !== undefined && p.archMap !== null) {
    if (archs?.length) bad('archMap', 'given together with architectures (docker refuses that too)');
    if (!Array.isArray(p.archMap)) bad('archMap', 'not a list');
    out.archMap = (p.archMap as unknown[]).map((m, i) => {
      const at = `archMap[${i}]`;
      if (!isObject(m)) return bad(at, 'not an object');
      const a = m.architecture;
      if (typeof a !== 'string' || !ARCHES.has(a)) return bad(`${at}.architecture`, `unknown architecture ${JSON.stringify(a)}`);
      return { architecture: a, subArchitectures: strings(m.subArchitectures, `${at}.subArchitectures`, ARCHES) ?? [] };
    });
  }
  const flags = strings(p.flags, 'flags', FLAGS);
  if (flags?.length) out.flags = flags;
  for (const k of ['listenerPath', 'listenerMetadata'] as const) {
    const v = p[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') bad(k, 'not a string');
    out[k] = v as string;
  }

  if (p.syscalls !== undefined && p.syscalls !== null && !Array.isArray(p.syscalls)) bad('syscalls', 'not a list');
  for (const [i, s] of ((p.syscalls ?? []) as unknown[]).entries()) {
    const at = `syscalls[${i}]`;
    if (!isObject(s)) return bad(at, 'not an object');
    // `name` is docker's older spelling of a one-name rule.
    if (s.name !== undefined && s.names !== undefined) bad(at, 'has both name and names');
    const names = s.name !== undefined ? strings([s.name], `${at}.name`) : strings(s.names, `${at}.names`);
    if (!names?.length) bad(at, 'no syscall names');
    const r: SeccompRule = { names: names!, action: action(s.action, `${at}.action`) };
    const e = errno(s.errnoRet, `${at}.errnoRet`);
    if (e !== undefined) r.errnoRet = e;
    if (s.args !== undefined && s.args !== null) {
      if (!Array.isArray(s.args)) bad(`${at}.args`, 'not a list');
      const args = (s.args as unknown[]).map((a, j) => checkArg(a, `${at}.args[${j}]`, bad));
      if (args.length) r.args = args;
    }
    const inc = filter(s.includes, `${at}.includes`);
    const exc = filter(s.excludes, `${at}.excludes`);
    if (inc && Object.keys(inc).length) r.includes = inc;
    if (exc && Object.keys(exc).length) r.excludes = exc;
    out.syscalls.push(r);
  }
  return out;
}

function checkArg(a: unknown, at: string, bad: (at: string, what: string) => never): SeccompArg {
  if (!isObject(a)) return bad(at, 'not an object');
  if (!isUint(a.index, 5)) bad(`${at}.index`, 'not an argument index 0..5');
  if (typeof a.op !== 'string' || !OPS.has(a.op)) bad(`${at}.op`, `unknown operator ${JSON.stringify(a.op)}`);
  // JSON numbers become doubles here: above 2^53 the value written to config.json would not be the one read.
  const num = (v: unknown, k: string) =>
    isUint(v, Number.MAX_SAFE_INTEGER) ? v : bad(`${at}.${k}`, 'not a non-negative integer of at most 2^53');
  const arg: SeccompArg = { index: a.index as number, value: num(a.value, 'value'), op: a.op as string };
  if (a.valueTwo !== undefined && a.valueTwo !== null) arg.valueTwo = num(a.valueTwo, 'valueTwo');
  return arg;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isUint(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}
