/**
 * podman behaviours scripts rely on, found by trying conman side by side with podman: exit codes of rm and
 * rmi, and `rmi -f` of an image in use.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupStores, cstore, IMG, show } from './containers-helpers.js';

after(cleanupStores);

test('rm: exit 1 for a missing container, 2 for a running one; -f and -i ignore missing ones', () => {
  const s = cstore('compat-rm');
  const missing = s.run(['rm', 'compat-nosuch']);
  assert.equal(missing.code, 1, show(missing));
  assert.match(missing.stderr, /compat-nosuch/);
  s.ok(['run', '-d', '--name', 'compat-running', IMG(), 'sleep', '100']);
  const running = s.run(['rm', 'compat-running']);
  assert.equal(running.code, 2, show(running));
  assert.match(s.ok(['ps', '--format', '{{.Names}} {{.State}}']), /^compat-running running$/m);
  assert.equal(s.run(['rm', '-f', 'compat-nosuch']).code, 0);
  assert.equal(s.run(['rm', '-i', 'compat-nosuch']).code, 0);
  s.ok(['rm', '-f', '-t', '0', 'compat-running']);
});

test('rmi -f removes the containers that use the image, and ignores missing images', () => {
  const s = cstore('compat-rmi');
  s.ok(['create', '--name', 'compat-user', IMG(), 'true']);
  const refused = s.run(['rmi', IMG()]);
  assert.equal(refused.code, 2, show(refused));
  assert.match(refused.stderr, /in use/);
  s.ok(['rmi', '-f', IMG()]);
  assert.equal(s.ok(['ps', '-a', '-q']), '', 'the container using the image is gone with it');
  assert.deepEqual(s.containerDirs(), []);
  assert.equal(s.ok(['images', '-q']), '');
  const gone = s.run(['rmi', '-f', 'compat-nosuch']);
  assert.equal(gone.code, 0, show(gone));
  assert.equal(gone.stderr, '');
  assert.equal(s.run(['rmi', 'compat-nosuch']).code, 1);
});

test('a corrupt container.json: ps warns and lists the rest, rm -f and --replace still remove it', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const s = cstore('compat-corrupt');
  s.ok(['run', '-d', '--name', 'compat-bad', IMG(), 'sleep', '100']);
  s.ok(['create', '--name', 'compat-good', IMG(), 'true']);
  const id = s.ok(['inspect', '-f', '{{.Id}}', 'compat-bad']).trim();
  fs.writeFileSync(path.join(s.root, 'containers', id, 'container.json'), '{"broken');
  const ps = s.run(['ps', '-a', '--format', '{{.Names}}']);
  assert.equal(ps.code, 0, show(ps));
  assert.equal(ps.stdout, 'compat-good\n');
  assert.match(ps.stderr, new RegExp(`${id.slice(0, 12)}.*corrupt`));
  const plain = s.run(['rm', 'compat-bad']);
  assert.equal(plain.code, 125, show(plain));
  assert.match(plain.stderr, /corrupt state file/);
  const rm = s.run(['rm', '-f', 'compat-bad']);
  assert.equal(rm.code, 0, show(rm));
  assert.deepEqual(s.mounts(), []);
  assert.ok(!fs.existsSync(path.join(s.root, 'containers', id)));
  // the name is free again, and the container's process is gone
  s.ok(['create', '--name', 'compat-bad', IMG(), 'true']);
  const id2 = s.ok(['inspect', '-f', '{{.Id}}', 'compat-bad']).trim();
  fs.writeFileSync(path.join(s.root, 'containers', id2, 'container.json'), 'not json');
  s.ok(['create', '--replace', '--name', 'compat-bad', IMG(), 'true']);
  assert.ok(!fs.existsSync(path.join(s.root, 'containers', id2)));
  assert.equal(s.ok(['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort().join(','), 'compat-bad,compat-good');
});

test('the store records its schema version and refuses a store from a newer conman', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const s = cstore('compat-schema');
  const rec = JSON.parse(fs.readFileSync(path.join(s.root, 'store.json'), 'utf8'));
  assert.equal(rec.schema, 1);
  fs.writeFileSync(path.join(s.root, 'store.json'), '{"schema": 99}');
  const r = s.run(['create', IMG(), 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /has schema 99; this conman reads schema 1/);
  assert.deepEqual(s.containerDirs(), []);
  fs.writeFileSync(path.join(s.root, 'store.json'), JSON.stringify(rec));
});

test('container exists and image exists answer with exit 0 or 1', () => {
  const s = cstore('compat-exists');
  assert.equal(s.run(['image', 'exists', IMG()]).code, 0);
  assert.equal(s.run(['image', 'exists', `${IMG()}-nosuch`]).code, 1);
  s.ok(['create', '--name', 'compat-ex', IMG(), 'true']);
  assert.equal(s.run(['container', 'exists', 'compat-ex']).code, 0);
  assert.equal(s.run(['container', 'exists', 'compat-nosuch']).code, 1);
  s.ok(['rm', 'compat-ex']);
  assert.equal(s.run(['container', 'exists', 'compat-ex']).code, 1);
});

test('ps --filter: one key ORs its values, keys AND; before/since; an unknown state is an error', () => {
  const s = cstore('compat-filter');
  s.ok(['create', '--name', 'compat-f0', IMG(), 'true']);
  assert.equal(s.run(['run', '--name', 'compat-f1', IMG(), 'sh', '-c', 'exit 1']).code, 1);
  s.ok(['create', '--name', 'compat-f2', '--label', 'k=v', IMG(), 'true']);
  const names = (args: string[]) => s.ok(['ps', '-a', '--format', '{{.Names}}', ...args]).split('\n').filter(Boolean).sort().join(',');
  assert.equal(names(['--filter', 'name=compat-f0', '--filter', 'name=compat-f1']), 'compat-f0,compat-f1');
  assert.equal(names(['--filter', 'status=created', '--filter', 'status=exited']), 'compat-f0,compat-f1,compat-f2');
  assert.equal(names(['--filter', 'status=created', '--filter', 'label=k=v']), 'compat-f2');
  assert.equal(names(['--filter', 'exited=1']), 'compat-f1');
  assert.equal(names(['--filter', 'before=compat-f1']), 'compat-f0');
  assert.equal(names(['--filter', 'since=compat-f1']), 'compat-f2');
  // -l is the latest created container whatever its state (compat-f2 was never started)
  assert.equal(s.ok(['ps', '-l', '--format', '{{.Names}}']), 'compat-f2\n');
  assert.equal(s.ok(['ps', '-n', '2', '--format', '{{.Names}}']), 'compat-f2\ncompat-f1\n');
  const bad = s.run(['ps', '-a', '--filter', 'status=bogus']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /unknown container state: bogus/);
});

test('ps templates print what podman prints: maps, "ago", Go times, aligned tables', () => {
  const s = cstore('compat-pstpl');
  s.ok(['run', '-d', '--name', 'compat-tpl', '--label', 'a=b', IMG(), 'sleep', '100']);
  const line = s.ok(['ps', '--format', '{{.Labels}}|{{.RunningFor}}|{{.CreatedAt}}|{{.Status}}']).trim();
  assert.match(line, /^map\[a:b\]\|.+ ago\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC\|Up .+ ago$/);
  const table = s.ok(['ps', '--format', 'table {{.ID}}\\t{{.Names}}\\t{{.Image}}']).split('\n');
  assert.equal(table[0], 'CONTAINER ID  NAMES       IMAGE');
  assert.match(table[1]!, /^[0-9a-f]{12}  compat-tpl  \S+$/);
  assert.equal(s.ok(['restart', '-t', '0', 'compat-tpl']), 'compat-tpl\n');
  assert.match(s.ok(['exec', 'compat-tpl', 'sh', '-c', 'echo $TERM']), /^xterm$/m);
  s.ok(['rm', '-f', '-t', '0', 'compat-tpl']);
});

test("-e 'NAME*' copies the matching host variables, -e NAME one of them", () => {
  const s = cstore('compat-envglob');
  const out = s.run(['run', '--rm', '-e', 'COMPAT_G*', '-e', 'COMPAT_ONE', IMG(), 'env'], {
    env: { COMPAT_G1: 'a', COMPAT_G2: 'b', COMPAT_ONE: 'c', COMPAT_OTHER: 'd' },
  });
  assert.equal(out.code, 0, show(out));
  const got = out.stdout.split('\n').filter((l) => l.startsWith('COMPAT_')).sort();
  assert.deepEqual(got, ['COMPAT_G1=a', 'COMPAT_G2=b', 'COMPAT_ONE=c']);
});

test('a container whose network state was lost (shim killed, runroot wiped) starts again: its stale lease is dropped', async () => {
  const fs = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const s = cstore('compat-lease');
  const id = s.ok(['run', '-d', '--name', 'compat-lease', IMG(), 'sleep', '1000']).trim();
  const pid = Number(s.ok(['inspect', '-f', '{{.State.Pid}}', 'compat-lease']));
  const shim = execFileSync('pgrep', ['-f', `conman-shim ${id}`], { encoding: 'utf8' }).trim().split('\n').map(Number);
  for (const p of [...shim, pid]) process.kill(p, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  for (const m of s.mounts().filter((m) => m.startsWith(s.runroot)).sort().reverse()) execFileSync('umount', ['-l', m]);
  fs.rmSync(s.runroot, { recursive: true, force: true });
  assert.match(s.ok(['ps', '-a', '--format', '{{.Names}} {{.Status}}']), /^compat-lease Exited \(-1\)/m);
  s.ok(['start', 'compat-lease']);
  assert.match(s.ok(['exec', 'compat-lease', 'ip', '-4', '-o', 'addr', 'show', 'eth0']), /inet 10\./);
  s.ok(['rm', '-f', '-t', '0', 'compat-lease']);
});

test('container inspect is about containers only; inspect falls back to images', () => {
  const s = cstore('compat-inspect');
  const r = s.run(['container', 'inspect', IMG()]);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /no such container/);
  assert.match(s.ok(['inspect', '-f', '{{.Id}}', IMG()]), /^[0-9a-f]{64}$/m);
});

test('--expose adds ports that -P publishes; a bad one is refused before anything is made', () => {
  const s = cstore('compat-expose');
  s.ok(['run', '-d', '--name', 'compat-exp', '-P', '--expose', '8080', '--expose', '9000-9001/udp', IMG(), 'sleep', '100']);
  const ports = s.ok(['port', 'compat-exp']).split('\n').filter(Boolean).map((l) => l.split(' ')[0]).sort();
  assert.deepEqual(ports, ['8080/tcp', '9000/udp', '9001/udp']);
  s.ok(['rm', '-f', '-t', '0', 'compat-exp']);
  const bad = s.run(['run', '--rm', '--expose', 'abc', IMG(), 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /invalid --expose "abc"/);
  assert.deepEqual(s.containerDirs(), []);
});

test('podman defaults: -u UID without a passwd entry has HOME=/, -u :GID is root with that group, the last of a repeated flag wins, pids are capped at 2048, host.containers.internal is the gateway', () => {
  const s = cstore('compat-defaults');
  assert.equal(s.ok(['run', '--rm', '-u', '4321', '--network', 'none', IMG(), 'sh', '-c', 'id -u; echo $HOME']), '4321\n/\n');
  assert.match(s.ok(['run', '--rm', '-u', ':1000', '--network', 'none', IMG(), 'id']), /^uid=0\(root\) gid=1000/);
  assert.equal(s.ok(['run', '--rm', '-u', '5', '-u', '6', '--network', 'none', IMG(), 'id', '-u']), '6\n');
  const pids = s.ok(['run', '--rm', '--network', 'none', IMG(), 'sh', '-c', 'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max']);
  assert.equal(pids, '2048\n');
  const hosts = s.ok(['run', '--rm', IMG(), 'cat', '/etc/hosts']);
  const gw = /^(\S+)\thost\.containers\.internal host\.docker\.internal$/m.exec(hosts);
  assert.ok(gw, hosts);
  assert.match(gw[1]!, /^10\.\d+\.\d+\.1$/);
});

test('a closed pipe ends a command quietly (exit 141, nothing on stderr), like a process killed by SIGPIPE', async () => {
  const { spawnSync } = await import('node:child_process');
  const { CONMAN } = await import('./lib/conman.js');
  const s = cstore('compat-epipe');
  s.ok(['run', '--name', 'compat-seq', '--network', 'none', IMG(), 'seq', '1', '200000']);
  const r = spawnSync('bash', ['-c', `"${CONMAN}" logs -t compat-seq | head -1 >/dev/null; echo "rc=\${PIPESTATUS[0]}"`], { env: s.env, encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'rc=141', r.stderr);
  assert.equal(r.stderr, '');
});

test('exec -t and -it work without a controlling terminal (CI, cron, setsid), and leave the container running', async () => {
  const { spawnSync } = await import('node:child_process');
  const { CONMAN } = await import('./lib/conman.js');
  const s = cstore('compat-exect');
  s.ok(['run', '-d', '--name', 'compat-exect', '--network', 'none', IMG(), 'sleep', '300']);
  const pid = Number(s.ok(['inspect', '-f', '{{.State.Pid}}', 'compat-exect']));
  const t = spawnSync('setsid', ['-w', CONMAN, 'exec', '-t', 'compat-exect', 'sh', '-c', 'tty; exit 4'], { env: s.env, encoding: 'utf8', input: '' });
  assert.equal(t.status, 4, t.stderr);
  assert.match(t.stdout, /^\/dev\/pts\/\d+\r\n$/);
  const it = spawnSync('setsid', ['-w', CONMAN, 'exec', '-it', 'compat-exect', 'sh', '-c', 'cat; echo done'], { env: s.env, encoding: 'utf8', input: 'hello\n' });
  assert.equal(it.status, 0, it.stderr);
  assert.match(it.stdout, /hello\r\n[\s\S]*done\r\n$/);
  process.kill(pid, 0); // the container's init is still there
  assert.match(s.ok(['ps', '--format', '{{.Names}} {{.State}}']), /^compat-exect running$/m);
  s.ok(['rm', '-f', '-t', '0', 'compat-exect']);
});

test('run | head: a foreground container whose reader went away is stopped (and removed with --rm), as podman does', async () => {
  const { spawnSync } = await import('node:child_process');
  const { CONMAN } = await import('./lib/conman.js');
  const s = cstore('compat-pipe');
  const r = spawnSync(
    'bash',
    ['-c', `"${CONMAN}" run --rm --name compat-yes --stop-timeout 1 --network none "${IMG()}" sh -c 'while :; do echo y; done' | head -1; echo "rc=\${PIPESTATUS[0]}"`],
    { env: s.env, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.stdout, 'y\nrc=141\n', r.stderr);
  for (let i = 0; i < 100 && s.ok(['ps', '-a', '-q']) !== ''; i++) await new Promise((res) => setTimeout(res, 100));
  assert.equal(s.ok(['ps', '-a', '-q']), '', 'the container is stopped and removed');
  assert.deepEqual(s.mounts(), []);
});

test('--shm-size sizes /dev/shm (64m by default); --label-file labels come before --label; bad values exit 125', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const s = cstore('compat-shm');
  const df = (args: string[]) => s.ok(['run', '--rm', ...args, IMG(), 'df', '-k', '/dev/shm']).trim().split('\n').pop()!.split(/\s+/)[1];
  assert.equal(df([]), '65536');
  assert.equal(df(['--shm-size', '32m']), '32768');
  const bad = s.run(['run', '--rm', '--shm-size', 'abc', IMG(), 'true']);
  assert.equal(bad.code, 125, show(bad));
  assert.match(bad.stderr, /shm-size/);
  const file = path.join(s.root, '..', 'labels');
  fs.writeFileSync(file, 'compat.a=1\n# a comment\n\ncompat.b=2\n');
  s.ok(['create', '--name', 'compat-lf', '--label-file', file, '--label', 'compat.b=3', '--shm-size', '1g', IMG(), 'true']);
  const got = JSON.parse(s.ok(['inspect', 'compat-lf']))[0];
  assert.equal(got.Config.Labels['compat.a'], '1');
  assert.equal(got.Config.Labels['compat.b'], '3');
  assert.equal(got.HostConfig.ShmSize, 1024 * 1024 * 1024);
  const missing = s.run(['create', '--label-file', path.join(s.root, 'nope'), IMG(), 'true']);
  assert.equal(missing.code, 125, show(missing));
  assert.match(missing.stderr, /label file/);
  assert.equal(s.ok(['ps', '-a', '-q']).trim().split('\n').length, 1, 'the failed create made nothing');
  s.ok(['rm', 'compat-lf']);
});

test('--cpu-shares (-c) and --cpuset-cpus reach the container\'s cgroup; CPUs this machine lacks are refused', () => {
  const s = cstore('compat-cpu');
  const out = s.ok(['run', '--rm', '-c', '512', '--cpuset-cpus', '0', IMG(), 'sh', '-c',
    'cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/cpu.weight; grep Cpus_allowed_list /proc/self/status']);
  const [shares, allowed] = out.trim().split('\n');
  // cgroup v1: cpu.shares as given; v2: runc's conversion to cpu.weight (1 + (512-2)*9999/262142 = 20)
  assert.ok(shares === '512' || shares === '20', out);
  assert.match(allowed!, /Cpus_allowed_list:\s+0$/);
  const inspect = JSON.parse(s.ok(['inspect', s.ok(['create', '--cpu-shares', '300', '--cpuset-cpus', '0', IMG(), 'true']).trim()]))[0];
  assert.equal(inspect.HostConfig.CpuShares, 300);
  assert.equal(inspect.HostConfig.CpusetCpus, '0');
  for (const bad of [['--cpuset-cpus', '4096'], ['--cpuset-cpus', '1-0'], ['--cpu-shares', '1']]) {
    const r = s.run(['run', '--rm', ...bad, IMG(), 'true']);
    assert.equal(r.code, 125, show(r));
    assert.match(r.stderr, new RegExp(bad[0]!));
  }
  assert.equal(s.ok(['ps', '-a', '-q']).trim().split('\n').length, 1, 'only the created one');
  s.ok(['rm', '-a', '-f']);
});
