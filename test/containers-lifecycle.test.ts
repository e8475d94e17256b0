import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { cleanupStores, cstore, inspect, IMG, show, waitFor } from './containers-helpers.js';

after(cleanupStores);

test('run -d, ps, ps -a --format json, inspect, logs, stop -t, wait, rm', async () => {
  const s = cstore('clc-main');
  const t0 = Date.now();
  const id = s.ok(['run', '-d', '--name', 'clc-web', IMG(), 'sh', '-c', 'echo started; echo oops >&2; exec sleep 1000']).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.ok(Date.now() - t0 < 10000, 'run -d returns at once');
  const ps = s.ok(['ps']);
  assert.match(ps, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
  assert.match(ps, new RegExp(`${id.slice(0, 12)}\\s+.*busybox:latest.*Up .*clc-web`));
  assert.equal(s.ok(['ps', '-q']), `${id.slice(0, 12)}\n`);
  assert.equal(s.ok(['ps', '-q', '--no-trunc']), `${id}\n`);
  assert.equal(s.ok(['ps', '--format', '{{.Names}} {{.State}}']), 'clc-web running\n');
  const j = JSON.parse(s.ok(['ps', '-a', '--format', 'json']));
  assert.equal(j.length, 1);
  assert.equal(j[0].Id, id);
  assert.deepEqual(j[0].Names, ['clc-web']);
  assert.equal(j[0].State, 'running');
  assert.ok(j[0].Pid > 0);
  const ins = inspect(s, 'clc-web');
  assert.equal(ins.Id, id);
  assert.equal(ins.Name, 'clc-web');
  assert.equal(ins.State.Status, 'running');
  assert.equal(ins.State.Running, true);
  assert.ok(ins.State.Pid > 0);
  assert.ok(Date.parse(ins.State.StartedAt) > 0);
  assert.deepEqual(ins.Config.Cmd, ['sh', '-c', 'echo started; echo oops >&2; exec sleep 1000']);
  assert.match(ins.Config.Image, /busybox:latest$/);
  assert.ok(Array.isArray(ins.Mounts));
  assert.match(ins.LogPath, /ctr\.log$/);
  assert.equal(s.ok(['inspect', '--format', '{{.State.Status}} {{.Name}}', id.slice(0, 8)]), 'running clc-web\n');
  await waitFor(() => s.run(['logs', 'clc-web']).stdout === 'started\n', 10000, 'logs');
  const logs = s.run(['logs', 'clc-web']);
  assert.equal(logs.stdout, 'started\n');
  assert.equal(logs.stderr, 'oops\n');
  const t1 = Date.now();
  s.ok(['stop', '-t', '1', 'clc-web']);
  assert.ok(Date.now() - t1 < 8000, 'stop -t 1 kills after about a second');
  assert.equal(s.ok(['wait', 'clc-web']), '137\n');
  const after = inspect(s, id);
  assert.equal(after.State.Status, 'exited');
  assert.equal(after.State.Running, false);
  assert.equal(after.State.ExitCode, 137);
  assert.ok(Date.parse(after.State.FinishedAt) >= Date.parse(after.State.StartedAt));
  assert.equal(s.ok(['ps', '-q']), '');
  assert.match(s.ok(['ps', '-a']), /Exited \(137\)/);
  assert.deepEqual(s.mounts(), [], 'the rootfs is unmounted once the container exited');
  s.ok(['rm', 'clc-web']);
  assert.equal(s.ok(['ps', '-a', '-q']), '');
  const gone = s.run(['inspect', 'clc-web']);
  assert.equal(gone.code, 125);
  assert.match(gone.stderr, /no such object/);
  // like podman, inspect also finds images; --type container does not
  assert.match(s.ok(['inspect', '--format', '{{.Id}}', IMG()]), /^(sha256:)?[0-9a-f]{64}\n$/);
  assert.equal(s.run(['inspect', '--type', 'container', IMG()]).code, 125);
});

test('create + start -a returns the exit code; start, restart, kill -s, rm -f', async () => {
  const s = cstore('clc-start');
  s.ok(['create', '--name', 'clc-job', IMG(), 'sh', '-c', 'echo job-out; exit 3']);
  assert.equal(inspect(s, 'clc-job').State.Status, 'created');
  const r = s.run(['start', '-a', 'clc-job']);
  assert.equal(r.code, 3, show(r));
  assert.equal(r.stdout, 'job-out\n');
  const again = s.run(['start', '-a', 'clc-job']);
  assert.equal(again.code, 3, 'an exited container starts again');
  assert.equal(s.ok(['logs', 'clc-job']), 'job-out\njob-out\n');

  // a trap makes SIGTERM/SIGUSR1 visible inside pid 1
  s.ok(['create', '--name', 'clc-svc', IMG(), 'sh', '-c', 'trap "echo got-usr1" USR1; trap "exit 7" TERM; echo up; while true; do sleep 0.1; done']);
  assert.equal(s.ok(['start', 'clc-svc']), 'clc-svc\n');
  await waitFor(() => s.run(['logs', 'clc-svc']).stdout.includes('up'), 10000, 'svc up');
  s.ok(['kill', '-s', 'USR1', 'clc-svc']);
  await waitFor(() => s.run(['logs', 'clc-svc']).stdout.includes('got-usr1'), 10000, 'USR1 handled');
  const pid1 = inspect(s, 'clc-svc').State.Pid;
  s.ok(['restart', '-t', '5', 'clc-svc']);
  const st = inspect(s, 'clc-svc').State;
  assert.equal(st.Status, 'running');
  assert.notEqual(st.Pid, pid1);
  s.ok(['stop', 'clc-svc']);
  assert.equal(inspect(s, 'clc-svc').State.ExitCode, 7, 'stop sent SIGTERM (the trap exits 7)');
  const k = s.run(['kill', 'clc-svc']);
  assert.equal(k.code, 125, 'kill of a stopped container fails');
  s.ok(['start', 'clc-svc']);
  const rm = s.run(['rm', 'clc-svc']);
  assert.equal(rm.code, 2, 'rm of a running container needs -f (exit 2, as podman)');
  assert.match(rm.stderr, /running/);
  s.ok(['rm', '-f', 'clc-svc']);
  assert.equal(s.run(['inspect', 'clc-svc']).code, 125);
  assert.deepEqual(s.mounts(), []);
  assert.equal(s.run(['rm', '-f', 'clc-nosuch']).code, 0, 'rm -f ignores missing containers');
  assert.equal(s.run(['rm', 'clc-nosuch']).code, 1);
});

test('names, id prefixes, --replace, container ls/rm/prune aliases, logs --tail/-t/--since', async () => {
  const s = cstore('clc-names');
  const a = s.ok(['create', '--name', 'clc-a', IMG(), 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done']).trim();
  assert.equal(inspect(s, a.slice(0, 10)).Name, 'clc-a');
  assert.equal(inspect(s, a).Name, 'clc-a');
  const dup = s.run(['create', '--name', 'clc-a', IMG(), 'true']);
  assert.equal(dup.code, 125);
  assert.match(dup.stderr, /already in use/);
  const b = s.ok(['create', '--replace', '--name', 'clc-a', IMG(), 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done']).trim();
  assert.notEqual(a, b);
  assert.equal(s.run(['inspect', a]).code, 125, 'replaced container is gone');
  assert.equal(s.run(['start', '-a', 'clc-a']).code, 0);
  assert.equal(s.ok(['logs', '--tail', '2', 'clc-a']), 'line4\nline5\n');
  assert.match(s.ok(['logs', '-t', '--tail', '1', 'clc-a']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line5\n$/);
  assert.equal(s.ok(['logs', '--since', '1h', 'clc-a']).split('\n').length, 6);
  assert.equal(s.ok(['logs', '--since', new Date(Date.now() + 60000).toISOString(), 'clc-a']), '');
  assert.match(s.ok(['container', 'ls', '-a']), /clc-a/);
  assert.match(s.ok(['container', 'list', '-a', '-q', '--no-trunc']), new RegExp(b));
  s.ok(['run', '-d', '--name', 'clc-keep', IMG(), 'sleep', '100']);
  s.ok(['create', '--name', 'clc-c', IMG(), 'true']);
  const pruned = s.ok(['container', 'prune', '-f']);
  assert.match(pruned, new RegExp(b));
  assert.equal(s.ok(['ps', '-a', '--format', '{{.Names}}']), 'clc-keep\n');
  s.ok(['container', 'rm', '-f', 'clc-keep']);
  assert.equal(s.ok(['container', 'ps', '-a', '-q']), '');
  assert.deepEqual(s.mounts(), []);
});

test('wait returns the code of a container that exits later; ps shows the exit', async () => {
  const s = cstore('clc-wait');
  s.ok(['run', '-d', '--name', 'clc-w', IMG(), 'sh', '-c', 'sleep 1; exit 42']);
  const w = await s.runAsync(['wait', 'clc-w']);
  assert.equal(w.code, 0, show(w));
  assert.equal(w.stdout, '42\n');
  assert.match(s.ok(['ps', '-a']), /Exited \(42\)/);
  const j = JSON.parse(s.ok(['ps', '-a', '--format', 'json']));
  assert.equal(j[0].ExitCode, 42);
  assert.equal(j[0].Exited, true);
});

test('logs -f follows until the container stops', async () => {
  const s = cstore('clc-follow');
  s.ok(['run', '-d', '--name', 'clc-f', IMG(), 'sh', '-c', 'echo one; sleep 1; echo two >&2; sleep 1; echo three']);
  const t0 = Date.now();
  const r = await s.runAsync(['logs', '-f', 'clc-f']);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout, 'one\nthree\n');
  assert.equal(r.stderr, 'two\n');
  assert.ok(Date.now() - t0 > 1000, 'it waited for the output to come');
});

test('wait on a run -d --rm container returns its exit code, also once it is gone', async () => {
  const s = cstore('clc-waitrm');
  const id = s.ok(['run', '-d', '--rm', IMG(), 'sh', '-c', 'sleep 1; exit 6']).trim();
  assert.equal(s.ok(['wait', id]), '6\n');
  await waitFor(() => s.containerDirs().length === 0, 10000, 'removed');
  assert.equal(s.ok(['wait', id]), '6\n');
  assert.equal(s.run(['wait', 'clc-never-there']).code, 125);
});

test('ctr.log is k8s-file: <RFC3339Nano> stdout|stderr F|P <text>; partial lines are joined by logs', async () => {
  const s = cstore('clc-k8s');
  s.ok(['run', '--name', 'clc-log', IMG(), 'sh', '-c', 'printf abc; sleep 0.3; echo def; echo err >&2; printf tail']);
  const file = inspect(s, 'clc-log').LogPath as string;
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) (F|P) /, l);
  assert.ok(lines.some((l) => / stdout P abc$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => / stdout F def$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => / stderr F err$/.test(l)), lines.join('\n'));
  const r = s.run(['logs', 'clc-log']);
  assert.equal(r.stdout, 'abcdef\ntail');
  assert.equal(r.stderr, 'err\n');
});
