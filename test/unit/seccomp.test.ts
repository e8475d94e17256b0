/**
 * The default seccomp profile and user profiles, resolved to OCI `linux.seccomp`: what a container with given
 * capabilities may call, judged by a small evaluator of the resolved rules (as libseccomp would apply them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  seccompFor,
  loadSeccompFile,
  parseSeccompProfile,
  MAX_PROFILE_BYTES,
  type OciSeccomp,
} from '../../src/core/runtime/seccomp/profile.js';
import defaultData from '../../src/core/runtime/seccomp/default.json' with { type: 'json' };
import { ConmanError } from '../../src/base/errors.js';

// podman's default capabilities (what conman gives a container without --cap-add/--cap-drop)
const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
  'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
];

const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNS = 0x00020000;
const CLONE_NEWNET = 0x40000000;
const SIGCHLD = 17;
// what glibc's pthread_create passes
const THREAD_FLAGS = 0x3d0f00;

type Verdict = 'allow' | number | 'kill' | 'other';

/** What the filter does with `name(args...)`: the rules naming it whose args all match, else the default. */
function judge(s: OciSeccomp, name: string, args: number[] = []): Verdict {
  const hits = new Set<string>();
  for (const r of s.syscalls) {
    if (!r.names.includes(name)) continue;
    const ok = (r.args ?? []).every((a) => {
      const v = args[a.index] ?? 0;
      switch (a.op) {
        case 'SCMP_CMP_EQ': return v === a.value;
        case 'SCMP_CMP_NE': return v !== a.value;
        case 'SCMP_CMP_LT': return v < a.value;
        case 'SCMP_CMP_LE': return v <= a.value;
        case 'SCMP_CMP_GT': return v > a.value;
        case 'SCMP_CMP_GE': return v >= a.value;
        case 'SCMP_CMP_MASKED_EQ': return Number(BigInt(v) & BigInt(a.value)) === (a.valueTwo ?? 0);
        default: throw new Error(`op ${a.op}`);
      }
    });
    if (ok) hits.add(verdict(r.action, r.errnoRet ?? s.defaultErrnoRet));
  }
  assert.ok(hits.size <= 1, `${name}(${args.join(', ')}): rules disagree: ${[...hits].join(' ')}`);
  const v = hits.size ? [...hits][0] : verdict(s.defaultAction, s.defaultErrnoRet);
  return /^\d+$/.test(v) ? Number(v) : (v as Verdict);
}

function verdict(action: string, errno?: number): string {
  if (action === 'SCMP_ACT_ALLOW') return 'allow';
  if (action === 'SCMP_ACT_ERRNO') return String(errno ?? 1);
  if (action.startsWith('SCMP_ACT_KILL')) return 'kill';
  return 'other';
}

const EPERM = 1;
const ENOSYS = 38;

test('the default profile for the default capabilities: errno EPERM by default, the usual allow-list', () => {
  const s = seccompFor(DEFAULT_CAPS, 'x64');
  assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.defaultErrnoRet, EPERM);
  for (const n of ['read', 'write', 'openat', 'execve', 'exit_group', 'futex', 'mmap', 'wait4', 'chroot', 'statx', 'rseq']) {
    assert.equal(judge(s, n), 'allow', n);
  }
  for (const n of [
    'mount', 'umount2', 'unshare', 'setns', 'reboot', 'ptrace', 'process_vm_readv', 'kexec_load', 'kexec_file_load',
    'init_module', 'finit_module', 'delete_module', 'open_by_handle_at', 'bpf', 'perf_event_open', 'syslog', 'acct',
    'settimeofday', 'clock_settime', 'iopl', 'ioperm', 'vhangup', 'mbind', 'keyctl', 'add_key', 'swapon', 'pivot_root',
    'userfaultfd', 'io_uring_setup', 'sethostname', 'quotactl', 'fsopen', 'move_mount', 'open_tree', 'lookup_dcookie',
  ]) {
    assert.equal(judge(s, n), EPERM, n);
  }
});

test('clone: threads and forks pass, new namespaces do not; clone3 gets ENOSYS so that glibc falls back', () => {
  const s = seccompFor(DEFAULT_CAPS, 'x64');
  assert.equal(judge(s, 'clone', [SIGCHLD]), 'allow');
  assert.equal(judge(s, 'clone', [THREAD_FLAGS]), 'allow');
  assert.equal(judge(s, 'clone', [SIGCHLD | CLONE_NEWUSER]), EPERM);
  assert.equal(judge(s, 'clone', [SIGCHLD | CLONE_NEWNS]), EPERM);
  assert.equal(judge(s, 'clone', [CLONE_NEWNET | CLONE_NEWUSER]), EPERM);
  assert.equal(judge(s, 'clone3'), ENOSYS);
  // the flags are the first argument on x86_64 and aarch64
  const rule = s.syscalls.find((r) => r.names.includes('clone') && r.args);
  assert.deepEqual(rule?.args, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
});

test('personality and socket are allowed only with harmless arguments', () => {
  const s = seccompFor(DEFAULT_CAPS, 'x64');
  for (const p of [0, 8, 0x20000, 0x20008, 0xffffffff]) assert.equal(judge(s, 'personality', [p]), 'allow', String(p));
  assert.equal(judge(s, 'personality', [0x0040000]), EPERM); // ADDR_NO_RANDOMIZE
  assert.equal(judge(s, 'socket', [2, 1, 0]), 'allow'); // AF_INET
  assert.equal(judge(s, 'socket', [40, 1, 0]), EPERM); // AF_VSOCK
});

test('CAP_SYS_ADMIN unlocks mount, unshare, setns and namespace flags of clone', () => {
  const s = seccompFor([...DEFAULT_CAPS, 'CAP_SYS_ADMIN'], 'x64');
  for (const n of ['mount', 'umount2', 'unshare', 'setns', 'sethostname', 'fsopen', 'move_mount', 'clone3', 'bpf', 'syslog']) {
    assert.equal(judge(s, n), 'allow', n);
  }
  assert.equal(judge(s, 'clone', [SIGCHLD | CLONE_NEWUSER | CLONE_NEWNS]), 'allow');
  assert.equal(judge(s, 'reboot'), EPERM);
  assert.equal(judge(s, 'ptrace'), EPERM);
});

test('each capability unlocks its syscalls, and only those', () => {
  const table: [string, string[]][] = [
    ['CAP_SYS_PTRACE', ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'process_madvise']],
    ['CAP_SYS_BOOT', ['reboot']],
    ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
    ['CAP_SYSLOG', ['syslog']],
    ['CAP_SYS_TIME', ['settimeofday', 'clock_settime', 'clock_settime64', 'stime']],
    ['CAP_SYS_NICE', ['mbind', 'set_mempolicy', 'get_mempolicy']],
    ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
    ['CAP_SYS_PACCT', ['acct']],
    ['CAP_SYS_TTY_CONFIG', ['vhangup']],
    ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
    ['CAP_BPF', ['bpf']],
    ['CAP_PERFMON', ['perf_event_open']],
  ];
  const base = seccompFor(DEFAULT_CAPS, 'x64');
  for (const [cap, names] of table) {
    const s = seccompFor([...DEFAULT_CAPS, cap], 'x64');
    for (const n of names) {
      assert.equal(judge(base, n), EPERM, `${n} without ${cap}`);
      assert.equal(judge(s, n), 'allow', `${n} with ${cap}`);
    }
    assert.equal(judge(s, 'mount'), EPERM, `mount with ${cap}`);
    assert.equal(judge(s, 'clone', [CLONE_NEWUSER]), EPERM, `clone(CLONE_NEWUSER) with ${cap}`);
  }
  // CAP_SYS_CHROOT is a default capability: dropping it takes chroot away
  assert.equal(judge(seccompFor(DEFAULT_CAPS.filter((c) => c !== 'CAP_SYS_CHROOT'), 'x64'), 'chroot'), EPERM);
  // capability names are matched whatever their spelling
  assert.equal(judge(seccompFor(['sys_ptrace'], 'x64'), 'ptrace'), 'allow');
});

test('a name unlocked twice is emitted once', () => {
  const s = seccompFor([...DEFAULT_CAPS, 'CAP_SYS_ADMIN', 'CAP_SYSLOG', 'CAP_BPF', 'CAP_PERFMON'], 'x64');
  for (const n of ['syslog', 'bpf', 'perf_event_open']) {
    assert.equal(s.syscalls.filter((r) => r.names.includes(n)).length, 1, n);
  }
});

test('the architectures follow the host: x86_64 with x86 and x32, aarch64 with arm', () => {
  const x = seccompFor(DEFAULT_CAPS, 'x64');
  assert.deepEqual(x.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.equal(judge(x, 'arch_prctl'), 'allow');
  assert.equal(judge(x, 'modify_ldt'), 'allow');
  assert.equal(judge(x, 'set_tls'), EPERM);
  const a = seccompFor(DEFAULT_CAPS, 'arm64');
  assert.deepEqual(a.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.equal(judge(a, 'arch_prctl'), EPERM);
  assert.equal(judge(a, 'set_tls'), 'allow');
  assert.equal(judge(a, 'clone', [CLONE_NEWUSER]), EPERM);
  assert.equal(judge(a, 'clone', [SIGCHLD]), 'allow');
  // s390x has clone's flags second
  const z = seccompFor(DEFAULT_CAPS, 's390x');
  assert.equal(z.architectures, undefined); // no row: runc filters the native architecture
  assert.equal(judge(z, 'clone', [0, CLONE_NEWUSER]), EPERM);
  assert.equal(judge(z, 'clone', [CLONE_NEWUSER, SIGCHLD]), 'allow');
  // the default picks process.arch
  assert.deepEqual(seccompFor(DEFAULT_CAPS), seccompFor(DEFAULT_CAPS, process.arch));
});

test('the bundled default passes the checks a user file gets, and resolves to OCI fields only', () => {
  const checked = parseSeccompProfile(JSON.stringify(defaultData), 'default.json');
  assert.ok(checked.syscalls.length > 20);
  const all = seccompFor(['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYSLOG', 'CAP_BPF'], 'x64');
  for (const s of [all, seccompFor([], 'x64'), seccompFor(DEFAULT_CAPS, 'arm64')]) {
    assert.deepEqual(Object.keys(s).sort(), ['architectures', 'defaultAction', 'defaultErrnoRet', 'syscalls']);
    for (const r of s.syscalls) {
      for (const k of Object.keys(r)) assert.ok(['names', 'action', 'errnoRet', 'args'].includes(k), k);
      assert.ok(r.names.length > 0);
    }
  }
  // each call resolves afresh: changing one result does not change the next
  all.syscalls[0].names.push('kexec_load');
  assert.equal(judge(seccompFor(['CAP_SYS_ADMIN'], 'x64'), 'kexec_load'), EPERM);
});

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'conman-seccomp-'));
}

test('a user profile in docker format is resolved for the caps and architecture', (t) => {
  const dir = tmp();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'profile.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      archMap: [
        { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] },
        { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: null },
      ],
      syscalls: [
        { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW', args: [], comment: 'basics', includes: {}, excludes: {} },
        { name: 'getpid', action: 'SCMP_ACT_ALLOW' },
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
        { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '2.6' }, excludes: { arches: ['arm64'] } },
        { names: ['uname'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '999.0' } },
      ],
    }),
  );
  const x = loadSeccompFile(file, DEFAULT_CAPS, 'x64');
  assert.deepEqual(x.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  assert.equal(x.defaultErrnoRet, undefined);
  assert.equal(judge(x, 'read'), 'allow');
  assert.equal(judge(x, 'getpid'), 'allow');
  assert.equal(judge(x, 'mkdir'), 13);
  assert.equal(judge(x, 'mount'), EPERM);
  assert.equal(judge(x, 'arch_prctl'), 'allow');
  assert.equal(judge(x, 'ptrace'), 'allow');
  assert.equal(judge(x, 'uname'), EPERM);
  assert.equal(judge(loadSeccompFile(file, ['CAP_SYS_ADMIN'], 'x64'), 'mount'), 'allow');
  const a = loadSeccompFile(file, DEFAULT_CAPS, 'arm64');
  assert.deepEqual(a.architectures, ['SCMP_ARCH_AARCH64']);
  assert.equal(judge(a, 'arch_prctl'), EPERM);
  assert.equal(judge(a, 'ptrace'), EPERM);
});

test('a user profile in OCI format resolves to itself', (t) => {
  const dir = tmp();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'oci.json');
  const oci: OciSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    flags: ['SECCOMP_FILTER_FLAG_LOG'],
    syscalls: [
      { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_NE' }] },
    ],
  };
  fs.writeFileSync(file, JSON.stringify(oci));
  assert.deepEqual(loadSeccompFile(file, DEFAULT_CAPS, 'x64'), oci);
});

test('a bad profile file gives a clear error naming the file and the place', (t) => {
  const dir = tmp();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cases: [string, string | Buffer, RegExp][] = [
    ['json', '{"defaultAction": "SCMP_ACT_ERRNO",', /not valid JSON/],
    ['array', '[]', /top level: not a JSON object/],
    ['noaction', '{"syscalls": []}', /defaultAction: unknown action undefined/],
    ['action', '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "ALLOW"}]}', /syscalls\[0\]\.action: unknown action "ALLOW"/],
    ['op', '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_MASKED"}]}]}', /syscalls\[0\]\.args\[0\]\.op: unknown operator/],
    ['index', '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}', /args\[0\]\.index: not an argument index/],
    ['value', '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]}', /args\[0\]\.value: not a non-negative integer/],
    ['names', '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW"}]}', /syscalls\[0\]: no syscall names/],
    ['both', '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "read", "names": ["read"], "action": "SCMP_ACT_ALLOW"}]}', /both name and names/],
    ['arch', '{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["x86_64"], "syscalls": []}', /architectures: unknown value "x86_64"/],
    ['archmap', '{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [], "syscalls": []}', /together with architectures/],
    ['kernel', '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "four"}}]}', /includes\.minKernel/],
    ['big', Buffer.alloc(MAX_PROFILE_BYTES + 1, 0x20), /more than the 1048576 allowed/],
  ];
  for (const [name, body, re] of cases) {
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, body);
    assert.throws(
      () => loadSeccompFile(file, DEFAULT_CAPS, 'x64'),
      (e: unknown) => e instanceof ConmanError && e.code === 'EINVAL' && e.message.includes(file) && re.test(e.message),
      name,
    );
  }
  const missing = path.join(dir, 'missing.json');
  assert.throws(() => loadSeccompFile(missing, DEFAULT_CAPS), (e: unknown) =>
    e instanceof ConmanError && e.code === 'EINVAL' && e.message === `cannot read seccomp profile ${missing}: no such file`);
  assert.throws(() => loadSeccompFile(dir, DEFAULT_CAPS), (e: unknown) =>
    e instanceof ConmanError && /not a regular file/.test(e.message));
  // a FIFO is refused at once, never waited on
  const fifo = path.join(dir, 'fifo.json');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => loadSeccompFile(fifo, DEFAULT_CAPS), (e: unknown) =>
    e instanceof ConmanError && e.message === `seccomp profile ${fifo}: not a regular file`);
});
