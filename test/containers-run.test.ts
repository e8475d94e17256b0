import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CONMAN } from './lib/conman.js';
import { buildImage, sharedRegistry, busyboxRootfs } from './lib/registry.js';
import { testTmp } from './lib/tmp.js';
import { cleanupStores, cstore, inspect, IMG, show } from './containers-helpers.js';

after(cleanupStores);

test('run --rm prints the output, returns the exit code, leaves no container and no mount', () => {
  const s = cstore('crun-basic');
  const r = s.run(['run', '--rm', IMG(), 'echo', 'hi']);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout, 'hi\n');
  const r3 = s.run(['run', '--rm', IMG(), 'sh', '-c', 'exit 3']);
  assert.equal(r3.code, 3, show(r3));
  assert.deepEqual(s.containerDirs(), []);
  assert.deepEqual(s.mounts(), []);
  assert.equal(s.ok(['ps', '-a', '-q']), '');
});

test('exit codes: 127 not found, 126 not executable, 137 after SIGKILL, 125 conman error', () => {
  const s = cstore('crun-codes');
  const nf = s.run(['run', '--rm', IMG(), 'nosuchcmd']);
  assert.equal(nf.code, 127, show(nf));
  assert.match(nf.stderr, /nosuchcmd.*not found/);
  const ne = s.run(['run', '--rm', IMG(), '/etc/passwd']);
  assert.equal(ne.code, 126, show(ne));
  assert.match(ne.stderr, /permission denied/);
  // SIGKILL from outside while a foreground run waits
  const id = s.ok(['run', '-d', '--name', 'crun-k9', IMG(), 'sleep', '100']).trim();
  s.ok(['kill', 'crun-k9']);
  assert.equal(s.ok(['wait', id]).trim(), '137');
  const own = s.run(['run', '--rm', IMG(), 'sh', '-c', 'exit 130']);
  assert.equal(own.code, 130);
  const bad = s.run(['run', '--rm', `${sharedRegistry()}/crun-nosuchimage:1`, 'true']);
  assert.equal(bad.code, 125, show(bad));
  assert.deepEqual(s.mounts(), []);
});

test('foreground run keeps stdout and stderr apart and passes large binary output byte for byte', () => {
  const s = cstore('crun-stream');
  const r = spawnSync(CONMAN, ['run', '--rm', IMG(), 'sh', '-c', 'echo out; echo err >&2; echo out2'], { env: s.env });
  assert.equal(r.status, 0);
  assert.equal(r.stdout.toString(), 'out\nout2\n');
  assert.equal(r.stderr.toString(), 'err\n');
  // 8 MB of random bytes; the container prints its own checksum on stderr
  const big = spawnSync(
    CONMAN,
    ['run', '--rm', IMG(), 'sh', '-c', 'head -c 8388608 /dev/urandom > /tmp/b; md5sum /tmp/b >&2; cat /tmp/b'],
    { env: s.env, maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(big.status, 0, big.stderr.toString());
  assert.equal(big.stdout.length, 8388608);
  const md5 = crypto.createHash('md5').update(big.stdout).digest('hex');
  assert.equal(big.stderr.toString().split(' ')[0], md5);
});

test('-i passes stdin through with EOF; without -i the container never reads our stdin', () => {
  const s = cstore('crun-stdin');
  const data = Buffer.concat([Buffer.from('line1\nline2\n'), crypto.randomBytes(200000)]);
  const r = spawnSync(CONMAN, ['run', '--rm', '-i', IMG(), 'sh', '-c', 'cat | md5sum'], { env: s.env, input: data });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout.toString().split(' ')[0], crypto.createHash('md5').update(data).digest('hex'));
  const n = s.run(['run', '--rm', IMG(), 'sh', '-c', 'cat; echo done'], { input: 'secret\n', timeoutMs: 20000 });
  assert.equal(n.code, 0, show(n));
  assert.equal(n.stdout, 'done\n');
});

test('run flags: -e, --env-file, -w, -u, --entrypoint, --hostname, --label, --cidfile, --stop-signal', () => {
  const s = cstore('crun-flags');
  const dir = fs.mkdtempSync(path.join(testTmp(), 'crun-flags-'));
  fs.writeFileSync(path.join(dir, 'env'), '# comment\nFROMFILE=yes\nOVER=file\n');
  const env = s.ok(['run', '--rm', '-e', 'A=1', '-e', 'OVER=flag', '--env-file', path.join(dir, 'env'), '-w', '/tmp', IMG(), 'sh', '-c', 'echo $A $FROMFILE $OVER; pwd']);
  assert.equal(env, '1 yes flag\n/tmp\n');
  assert.equal(s.ok(['run', '--rm', '-u', 'tester', IMG(), 'id']), 'uid=1000(tester) gid=1000(tester) groups=1000(tester),2000(extra)\n');
  assert.equal(s.ok(['run', '--rm', '-u', 'nobody:extra', IMG(), 'id', '-u']), '65534\n');
  assert.equal(s.ok(['run', '--rm', '-u', '4321:42', IMG(), 'id']), 'uid=4321 gid=42 groups=42\n');
  const nouser = s.run(['run', '--rm', '-u', 'nosuchuser', IMG(), 'id']);
  assert.equal(nouser.code, 125, show(nouser));
  assert.match(nouser.stderr, /nosuchuser/);
  assert.equal(s.ok(['run', '--rm', '--entrypoint', 'echo', IMG(), 'a', 'b']), 'a b\n');
  assert.equal(s.ok(['run', '--rm', '--entrypoint', '["sh","-c"]', IMG(), 'echo json']), 'json\n');
  assert.equal(s.ok(['run', '--rm', '--hostname', 'crunhost', IMG(), 'hostname']), 'crunhost\n');
  const cid = path.join(dir, 'cid');
  const id = s.ok(['create', '--name', 'crun-lab', '--label', 'k=v', '--label', 'flag', '--cidfile', cid, '--stop-signal', 'USR1', '--stop-timeout', '3', IMG(), 'true']).trim();
  assert.equal(fs.readFileSync(cid, 'utf8'), id);
  const j = inspect(s, 'crun-lab');
  assert.deepEqual(j.Config.Labels, { k: 'v', flag: '' });
  assert.equal(j.Config.StopSignal, 'SIGUSR1');
  assert.equal(j.Config.StopTimeout, 3);
  const again = s.run(['create', '--cidfile', cid, IMG(), 'true']);
  assert.equal(again.code, 125, 'an existing cidfile is refused');
});

test('--init runs catatonit as PID 1 in front of the command; exit codes pass through; --init-path is checked', () => {
  const s = cstore('crun-init');
  const ps = s.run(['run', '--rm', '--init', IMG(), 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; exit 4']);
  assert.equal(ps.code, 4, show(ps));
  assert.match(ps.stdout, /^\/run\/conman-init -- sh -c /);
  const bad = s.run(['run', '--rm', '--init-path', '/no/such/init', IMG(), 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /--init-path \/no\/such\/init: not an executable file/);
  assert.deepEqual(s.containerDirs(), []);
});

test('mounts: -v ro/rw, --mount bind and tmpfs, --read-only; a missing source is refused', () => {
  const s = cstore('crun-mounts');
  const dir = fs.mkdtempSync(path.join(testTmp(), 'crun-vol-'));
  fs.writeFileSync(path.join(dir, 'f'), 'from-host\n');
  const ro = s.run(['run', '--rm', '-v', `${dir}:/data:ro`, IMG(), 'sh', '-c', 'cat /data/f; touch /data/x']);
  assert.notEqual(ro.code, 0);
  assert.equal(ro.stdout, 'from-host\n');
  assert.match(ro.stderr, /Read-only file system/);
  s.ok(['run', '--rm', '-v', `${dir}:/data`, IMG(), 'sh', '-c', 'echo written > /data/new']);
  assert.equal(fs.readFileSync(path.join(dir, 'new'), 'utf8'), 'written\n');
  // ./ and ../ sources are host paths relative to the current directory, as in podman
  const rel = s.run(['run', '--rm', '-v', `./${path.basename(dir)}:/rel`, IMG(), 'cat', '/rel/f'], { cwd: path.dirname(dir) });
  assert.equal(rel.stdout, 'from-host\n', show(rel));
  const m = s.ok(['run', '--rm', '--mount', `type=bind,source=${dir},target=/b,readonly`, '--mount', 'type=tmpfs,target=/scratch,tmpfs-size=1m', IMG(), 'sh', '-c', 'cat /b/f; grep " /scratch " /proc/mounts']);
  assert.match(m, /^from-host\ntmpfs \/scratch tmpfs .*size=1024k/);
  const rofs = s.run(['run', '--rm', '--read-only', IMG(), 'sh', '-c', 'touch /x 2>/dev/null || echo rootro; touch /tmp/ok && echo tmpok']);
  assert.equal(rofs.stdout, 'rootro\ntmpok\n', show(rofs));
  const missing = s.run(['run', '--rm', '--name', 'crun-missing', '-v', `${dir}/nope:/x`, IMG(), 'true']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /nope.*no such file or directory/);
  assert.deepEqual(s.containerDirs(), []);
  assert.deepEqual(s.mounts(), []);
});

test('resource limits reach the cgroup: --memory, --cpus, --pids-limit; OOMKilled', () => {
  const s = cstore('crun-limits');
  const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
  const script = v2
    ? 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max'
    : 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us';
  const out = s.ok(['run', '--rm', '--memory', '64m', '--cpus', '0.5', '--pids-limit', '50', IMG(), 'sh', '-c', script]);
  const lines = out.trim().split('\n');
  assert.equal(lines[0], String(64 * 1024 * 1024));
  assert.equal(lines[1], '50');
  assert.match(lines[2]!, /^50000/);
  // an OOM kill in the container's cgroup shows as State.OOMKilled
  // (the container lives on a little after the kill: on cgroup v1 the OOM counter can only be polled)
  const oom = s.run(['run', '--name', 'crun-oom', '--memory', '10m', IMG(), 'sh', '-c', 'head -c 60000000 /dev/zero | tail > /dev/null; echo $?; sleep 0.5']);
  assert.equal(oom.stdout, '137\n', show(oom));
  assert.equal(inspect(s, 'crun-oom').State.OOMKilled, true);
  s.ok(['run', '--name', 'crun-nooom', '--memory', '10m', IMG(), 'true']);
  assert.equal(inspect(s, 'crun-nooom').State.OOMKilled, false);
});

test("the image's Entrypoint, Cmd, Env, WorkingDir, User and StopSignal apply like podman", () => {
  const s = cstore('crun-imgcfg');
  const reg = sharedRegistry();
  buildImage(reg, 'crun-cfg', '1', {
    layers: [
      (root) => {
        busyboxRootfs(root);
        fs.mkdirSync(path.join(root, 'work'), { recursive: true });
      },
    ],
    config: [
      '--config.entrypoint', 'sh', '--config.entrypoint', '-c',
      '--config.cmd', 'echo cmd:$IMGVAR:$(pwd):$(id -u)',
      '--config.env', 'IMGVAR=fromimage', '--config.env', 'PATH=/bin',
      '--config.workingdir', '/work', '--config.user', 'tester', '--config.stopsignal', 'SIGQUIT',
    ],
  });
  const ref = `${reg}/crun-cfg:1`;
  assert.equal(s.ok(['run', '--rm', ref]), 'cmd:fromimage:/work:1000\n');
  assert.equal(s.ok(['run', '--rm', '-e', 'IMGVAR=over', '-u', '0', '-w', '/', ref, 'echo $IMGVAR $(pwd) $(id -u)']), 'over / 0\n');
  // --entrypoint drops the image's Cmd
  assert.equal(s.ok(['run', '--rm', '--entrypoint', 'pwd', ref]), '/work\n');
  s.ok(['create', '--name', 'crun-cfgc', ref]);
  const j = inspect(s, 'crun-cfgc');
  assert.equal(j.Config.StopSignal, 'SIGQUIT');
  assert.deepEqual(j.Config.Entrypoint, ['sh', '-c']);
  assert.equal(j.Config.WorkingDir, '/work');
  assert.equal(j.Config.User, 'tester');
  assert.ok(j.Config.Env.includes('IMGVAR=fromimage'));
});

test('--network none has only lo; --network host shares the host network namespace', () => {
  const s = cstore('crun-net');
  const none = s.ok(['run', '--rm', '--network', 'none', IMG(), 'sh', '-c', 'ls /sys/class/net']);
  assert.deepEqual(none.trim().split(/\s+/), ['lo']);
  const host = s.ok(['run', '--rm', '--network', 'host', IMG(), 'readlink', '/proc/self/ns/net']);
  assert.equal(host.trim(), fs.readlinkSync('/proc/self/ns/net'));
});

test('a foreground run whose reader goes away ends like SIGPIPE; the container still finishes and is removed', async () => {
  const s = cstore('crun-epipe');
  const r = spawnSync('bash', ['-c', `"${CONMAN}" run --rm --name crun-pipe ${IMG()} sh -c 'yes | head -c 3000000' | head -c 4; echo " \${PIPESTATUS[0]}"`], {
    env: s.env,
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(r.stdout, 'y\ny\n 141\n', r.stderr);
  assert.doesNotMatch(r.stderr, /EPIPE|internal error/);
  const end = Date.now() + 20000;
  while (s.containerDirs().length && Date.now() < end) await new Promise((res) => setTimeout(res, 100));
  assert.deepEqual(s.containerDirs(), []);
  assert.deepEqual(s.mounts(), []);
});

test('--cap-add, --cap-drop, --privileged, --tmpfs, --ulimit', () => {
  const s = cstore('crun-caps');
  const capEff = (args: string[]) => BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(s.ok(['run', '--rm', ...args, IMG(), 'grep', 'CapEff', '/proc/self/status']))![1]}`);
  const NET_ADMIN = 1n << 12n;
  const CHOWN = 1n << 0n;
  const def = capEff([]);
  assert.equal(def & NET_ADMIN, 0n);
  assert.equal(def & CHOWN, CHOWN);
  const mod = capEff(['--cap-add', 'net_admin', '--cap-drop', 'CAP_CHOWN']);
  assert.equal(mod & NET_ADMIN, NET_ADMIN);
  assert.equal(mod & CHOWN, 0n);
  assert.equal(capEff(['--cap-drop', 'all']), 0n);
  const own = BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]}`);
  assert.equal(capEff(['--privileged']), own, '--privileged: every capability conman holds');
  assert.match(s.ok(['run', '--rm', '--privileged', IMG(), 'sh', '-c', 'grep " /sys " /proc/mounts']), /sysfs \/sys sysfs rw/);
  assert.match(s.ok(['run', '--rm', '--tmpfs', '/scr:size=2m,mode=0700', IMG(), 'sh', '-c', 'grep " /scr " /proc/mounts; stat -c %a /scr']), /tmpfs \/scr tmpfs .*size=2048k.*\n700\n$/);
  assert.equal(s.ok(['run', '--rm', '--ulimit', 'nofile=512:1024', IMG(), 'sh', '-c', 'ulimit -n; ulimit -Hn']), '512\n1024\n');
  const big = s.run(['run', '--rm', '--ulimit', 'nofile=999999999', IMG(), 'true']);
  assert.equal(big.code, 125);
  assert.match(big.stderr, /above the host's hard limit/);
  const bogus = s.run(['run', '--rm', '--cap-add', 'BOGUS', IMG(), 'true']);
  assert.equal(bogus.code, 125);
  assert.match(bogus.stderr, /unknown capability/);
  assert.deepEqual(s.containerDirs(), []);
});

test('signals to a foreground run reach the container (--sig-proxy)', async () => {
  const s = cstore('crun-sig');
  const p = spawn(CONMAN, ['run', '--rm', IMG(), 'sh', '-c', 'trap "echo got-term; exit 9" TERM; echo ready; while true; do sleep 0.1; done'], { env: s.env });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  const deadline = Date.now() + 30000;
  while (!out.includes('ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  p.kill('SIGTERM');
  const code = await new Promise((r) => p.on('close', r));
  assert.equal(code, 9);
  assert.equal(out, 'ready\ngot-term\n');
});
