import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CONMAN } from './lib/conman.js';
import { cleanupStores, alive, cstore, inspect, IMG, show, waitFor } from './containers-helpers.js';

after(cleanupStores);

function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

test('--rm still removes the container when the foreground CLI was SIGKILLed mid-run', async () => {
  const s = cstore('crb-rmkill');
  const cli = spawn(CONMAN, ['run', '--rm', '--name', 'crb-rk', IMG(), 'sh', '-c', 'sleep 2; echo done'], { env: s.env, stdio: 'ignore' });
  await waitFor(() => s.run(['ps', '-q', '--filter', 'name=crb-rk']).stdout.trim() !== '', 15000, 'container running');
  cli.kill('SIGKILL');
  await new Promise((r) => cli.once('exit', r));
  assert.match(s.ok(['ps', '-a']), /crb-rk/, 'the container outlives its CLI');
  await waitFor(() => s.containerDirs().length === 0, 20000, 'container removed by its shim');
  assert.equal(s.ok(['ps', '-a', '-q']), '');
  assert.deepEqual(s.mounts(), []);
});

test('a detached container survives the CLI; its exit code is recorded while no CLI runs', async () => {
  const s = cstore('crb-detach');
  const id = s.ok(['run', '-d', '--name', 'crb-d', IMG(), 'sh', '-c', 'sleep 2; exit 5']).trim();
  const st = inspect(s, id).State;
  assert.ok(alive(st.Pid) && alive(st.ConmonPid), 'container and shim run after the CLI returned');
  const shimStat = fs.readFileSync(`/proc/${st.ConmonPid}/stat`, 'utf8');
  const sid = Number(shimStat.slice(shimStat.lastIndexOf(')') + 2).split(' ')[3]);
  assert.equal(sid, st.ConmonPid, 'the shim leads its own session');
  // no conman command runs until the container has exited: watch the files only
  const dir = path.join(s.root, 'containers', id);
  await waitFor(() => fs.existsSync(path.join(dir, 'exit.json')), 20000, 'exit.json');
  await waitFor(() => !alive(st.ConmonPid), 10000, 'shim exit');
  assert.equal(readJson(path.join(dir, 'exit.json')).exitCode, 5);
  const rec = readJson(path.join(dir, 'container.json'));
  assert.equal(rec.state.status, 'exited', 'the shim persisted the exit');
  assert.equal(rec.state.exitCode, 5);
  assert.deepEqual(s.mounts(), [], 'the shim unmounted the rootfs');
  assert.match(s.ok(['ps', '-a']), /Exited \(5\)/);
});

test('SIGKILL of a shim is reported honestly: running while the container runs, then exit code lost', async () => {
  const s = cstore('crb-shimkill');
  s.ok(['run', '-d', '--name', 'crb-sk', IMG(), 'sleep', '1000']);
  const st = inspect(s, 'crb-sk').State;
  process.kill(st.ConmonPid, 'SIGKILL');
  await waitFor(() => !alive(st.ConmonPid), 5000, 'shim gone');
  assert.equal(inspect(s, 'crb-sk').State.Status, 'running', 'the container itself still runs');
  process.kill(st.Pid, 'SIGKILL');
  await waitFor(() => !alive(st.Pid), 5000, 'container gone');
  const after = inspect(s, 'crb-sk').State;
  assert.equal(after.Status, 'exited');
  assert.equal(after.Running, false);
  assert.equal(after.ExitCode, -1);
  assert.match(after.Error, /exit code lost/);
  assert.equal(JSON.parse(s.ok(['ps', '-a', '--format', 'json']))[0].State, 'exited');
  assert.equal(s.ok(['wait', 'crb-sk']), '-1\n');
  s.ok(['rm', 'crb-sk']);
  assert.deepEqual(s.mounts(), [], 'rm unmounted what the dead shim left');
  assert.deepEqual(s.containerDirs(), []);
});

test('ten concurrent run -d --name same: exactly one wins, the rest fail clearly, nothing half-made', async () => {
  const s = cstore('crb-race');
  const rs = await Promise.all(Array.from({ length: 10 }, () => s.runAsync(['run', '-d', '--name', 'crb-same', IMG(), 'sleep', '1000'])));
  const wins = rs.filter((r) => r.code === 0);
  const losses = rs.filter((r) => r.code !== 0);
  assert.equal(wins.length, 1, rs.map(show).join('\n'));
  for (const l of losses) {
    assert.equal(l.code, 125, show(l));
    assert.match(l.stderr, /name "crb-same" is already in use/);
  }
  assert.equal(s.ok(['ps', '-a', '-q', '--no-trunc']), wins[0]!.stdout);
  assert.deepEqual(s.containerDirs(), [wins[0]!.stdout.trim()]);
  assert.deepEqual(fs.readdirSync(path.join(s.root, 'containers')).filter((n) => n.startsWith('.')), []);
  assert.equal(s.mounts().filter((m) => m.endsWith('/merged')).length, 1);
  s.ok(['rm', '-f', 'crb-same']);
  assert.deepEqual(s.mounts(), []);
});

test('after a reboot (other boot id in <runroot>/alive) running containers are reported exited', async () => {
  const s = cstore('crb-reboot');
  s.ok(['run', '-d', '--name', 'crb-rb', IMG(), 'sleep', '1000']);
  const st = inspect(s, 'crb-rb').State;
  // pretend the machine rebooted: the volatile root's boot id is from another boot
  fs.writeFileSync(path.join(s.runroot, 'alive'), '00000000-0000-0000-0000-000000000000\n');
  const ps = JSON.parse(s.ok(['ps', '-a', '--format', 'json']));
  assert.equal(ps[0].State, 'exited');
  const ins = inspect(s, 'crb-rb').State;
  assert.equal(ins.Status, 'exited');
  assert.match(ins.Error, /reboot/);
  // (the processes of this "previous boot" are still here: end them)
  process.kill(st.Pid, 'SIGKILL');
  await waitFor(() => !alive(st.ConmonPid), 10000, 'shim gone');
  s.ok(['rm', '-f', 'crb-rb']);
  assert.deepEqual(s.mounts(), []);
});

test('bad input exits 125 with a clear message and creates nothing', () => {
  const s = cstore('crb-bad');
  const cases: Array<[string[], RegExp]> = [
    [['run', '--rm', '--memory', 'abc', IMG(), 'true'], /invalid memory "abc"/],
    [['run', '--rm', '--cpus', 'many', IMG(), 'true'], /invalid --cpus "many"/],
    [['run', '--rm', '--pids-limit', 'x', IMG(), 'true'], /invalid pids-limit "x"/],
    [['run', '--rm', '--stop-signal', 'SIGNOPE', IMG(), 'true'], /invalid signal/],
    [['run', '--rm', '--name', 'bad/name', IMG(), 'true'], /invalid container name "bad\/name"/],
    [['run', '--rm', '--name', '-x', IMG(), 'true'], /.+/],
    [['create', '-v', '/nonexistent-crb/path:/x', IMG(), 'true'], /\/nonexistent-crb\/path.*no such file or directory/],
    [['create', '--mount', 'type=bind,source=/nonexistent-crb,target=/x', IMG(), 'true'], /nonexistent-crb/],
    [['create', '--mount', 'type=volume,target=/x', IMG(), 'true'], /not supported/],
    [['create', '--env-file', '/nonexistent-crb.env', IMG(), 'true'], /nonexistent-crb\.env/],
    [['run', '--rm', `${IMG().replace(/busybox:latest$/, 'crb-missing')}:1`, 'true'], /crb-missing/],
    [['start', 'crb-nosuch'], /no such container/],
    [['stop', 'crb-nosuch'], /no such container/],
    [['kill', 'crb-nosuch'], /no such container/],
    [['wait', 'crb-nosuch'], /no such container/],
    [['logs', 'crb-nosuch'], /no such container/],
    [['restart', 'crb-nosuch'], /no such container/],
    [['inspect', 'crb-nosuch'], /no such object/],
    [['kill', '-s', 'NOPE', 'crb-nosuch'], /invalid signal/],
    [['logs', '--since', 'yesterday-ish', 'crb-nosuch'], /invalid --since/],
    [['run', '--rm', '--frobnicate', IMG(), 'true'], /frobnicate/],
  ];
  for (const [args, re] of cases) {
    const r = s.run(args);
    assert.equal(r.code, 125, `conman ${args.join(' ')}: ${show(r)}`);
    assert.match(r.stderr, re, `conman ${args.join(' ')}`);
    assert.match(r.stderr, /^conman: /, 'one clear line');
  }
  assert.deepEqual(s.containerDirs(), []);
  assert.deepEqual(s.mounts(), []);
  assert.equal(s.ok(['ps', '-a', '-q']), '');
});

test("the shim keeps none of its caller's descriptors; the container starts with default signal dispositions", async () => {
  const s = cstore('crb-fds');
  // fd 5: a pipe the caller hands down without O_CLOEXEC (as a CI runner or a shell's `5>` would). Its reader
  // sees EOF only when every process holding it has closed it: the CLI when it exits, and a shim that kept it
  // would hold it for the container's whole life.
  const cli = spawn(CONMAN, ['run', '-d', '--name', 'crb-fd', IMG(), 'sleep', '1000'], {
    env: s.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'pipe'],
  });
  const extra = (cli.stdio as unknown[])[5] as NodeJS.ReadableStream;
  extra.resume();
  const eof = new Promise<void>((r) => extra.once('end', () => r()));
  const code = await new Promise<number | null>((r) => cli.once('exit', (c) => r(c)));
  assert.equal(code, 0);
  const timeout = new Promise<string>((r) => setTimeout(() => r('timeout'), 10000).unref());
  assert.notEqual(await Promise.race([eof.then(() => 'eof'), timeout]), 'timeout', 'nobody holds the caller\'s fd 5 after the CLI exited');
  assert.ok(alive(inspect(s, 'crb-fd').State.Pid), 'while the container still runs');
  s.ok(['rm', '-f', '-t', '0', 'crb-fd']);
  // node ignores SIGPIPE; runc and the container must not inherit that (nor any other ignored signal)
  // (grep itself: busybox sh leaves SIGQUIT ignored for a command it execs in its place)
  const st = s.ok(['run', '--rm', IMG(), 'grep', '-E', '^Sig(Ign|Blk)', '/proc/self/status']);
  assert.match(st, /SigIgn:\s+0000000000000000/);
  assert.match(st, /SigBlk:\s+0000000000000000/);
});

test('ps reads state files only: it works with a runtime that does not exist', () => {
  const s = cstore('crb-psfiles');
  s.ok(['run', '-d', '--name', 'crb-ps', IMG(), 'sleep', '1000']);
  const r = s.run(['--runtime', '/nonexistent/runc', 'ps', '--format', '{{.Names}} {{.State}}']);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout, 'crb-ps running\n');
  s.ok(['rm', '-f', 'crb-ps']);
});
