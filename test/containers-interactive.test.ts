import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CONMAN } from './lib/conman.js';
import { spawnTerm } from './lib/pty.js';
import { cleanupStores, cstore, inspect, IMG, show, waitFor } from './containers-helpers.js';

after(cleanupStores);

const PROMPT = /\/ # /;

test('run -it: a terminal of our size, resized with us, exit code returned', async () => {
  const s = cstore('cia-it');
  const t = spawnTerm(['run', '-it', '--rm', '--network', 'none', IMG(), 'sh'], s.env, { cols: 91, rows: 27 });
  await t.expect(PROMPT, 30000);
  let from = t.output().length;
  t.write('stty size; tty\r');
  await t.expect(/27 91\r?\r\n\/dev\/pts\/\d+/, 15000, from);
  t.resize(100, 40);
  await new Promise((r) => setTimeout(r, 500));
  from = t.output().length;
  t.write('stty size\r');
  await t.expect(/40 100/, 15000, from);
  from = t.output().length;
  t.write('echo typed-once\r');
  await t.expect(/typed-once\r?\r\n/, 15000, from);
  assert.equal(t.output().slice(from).split('echo typed-once').length, 2, 'input is echoed once (by the container), not by conman');
  t.write('exit 5\r');
  const e = await t.exited;
  assert.equal(e.exitCode, 5);
  assert.deepEqual(s.containerDirs(), []);
});

test('detach with ctrl-p ctrl-q, then attach again and get the exit code', async () => {
  const s = cstore('cia-detach');
  const t = spawnTerm(['run', '-it', '--name', 'cia-d', '--network', 'none', IMG(), 'sh'], s.env);
  await t.expect(PROMPT, 30000);
  t.write('\x10\x11');
  const e = await t.exited;
  assert.equal(e.exitCode, 0, 'the CLI detached');
  assert.equal(inspect(s, 'cia-d').State.Status, 'running', 'the container runs on');
  const a = spawnTerm(['attach', 'cia-d'], s.env);
  await new Promise((r) => setTimeout(r, 500));
  a.write('echo back-$((40+2))\r');
  await a.expect(/back-42/, 15000);
  a.write('exit 3\r');
  const ae = await a.exited;
  assert.equal(ae.exitCode, 3);
  assert.equal(inspect(s, 'cia-d').State.ExitCode, 3);
  const bad = s.run(['run', '-it', '--detach-keys', 'ctrl-', IMG(), 'true']);
  assert.equal(bad.code, 125, show(bad));
});

test('attach without a terminal: output and exit code; stdin with a container created with -i', () => {
  const s = cstore('cia-attach');
  s.ok(['run', '-d', '--name', 'cia-a', '--network', 'none', IMG(), 'sh', '-c', 'sleep 1; echo late-out; echo late-err >&2; exit 4']);
  const r = s.run(['attach', 'cia-a']);
  assert.equal(r.code, 4, show(r));
  assert.equal(r.stdout, 'late-out\n');
  assert.equal(r.stderr, 'late-err\n');
  s.ok(['run', '-d', '-i', '--name', 'cia-i', '--network', 'none', IMG(), 'sh', '-c', 'read x; echo got:$x; exit 2']);
  const i = s.run(['attach', 'cia-i'], { input: 'hello\n' });
  assert.equal(i.code, 2, show(i));
  assert.equal(i.stdout, 'got:hello\n');
  const stopped = s.run(['attach', 'cia-a']);
  assert.equal(stopped.code, 125);
  assert.match(stopped.stderr, /only attach to running containers/);
});

test('exec: exit codes, stdin, -u -w -e, -d, -t; refused on a stopped container', async () => {
  const s = cstore('cia-exec');
  s.ok(['run', '-d', '--name', 'cia-x', '--network', 'none', IMG(), 'sleep', '1000']);
  assert.equal(s.ok(['exec', 'cia-x', 'echo', 'hi']), 'hi\n');
  const e7 = s.run(['exec', 'cia-x', 'sh', '-c', 'echo err >&2; exit 7']);
  assert.equal(e7.code, 7);
  assert.equal(e7.stderr, 'err\n');
  const nf = s.run(['exec', 'cia-x', 'nosuchcmd']);
  assert.equal(nf.code, 127, show(nf));
  assert.match(nf.stderr, /^conman: .*nosuchcmd.*not found/);
  assert.equal(s.run(['exec', 'cia-x', '/etc/passwd']).code, 126);
  const r = spawnSync(CONMAN, ['exec', '-i', 'cia-x', 'sh', '-c', 'cat | wc -c'], { env: s.env, input: Buffer.alloc(100000, 1) });
  assert.equal(r.stdout.toString().trim(), '100000');
  assert.equal(s.ok(['exec', '-u', 'tester', '-w', '/tmp', '-e', 'X=1', 'cia-x', 'sh', '-c', 'echo $(id -u) $(pwd) $X']), '1000 /tmp 1\n');
  s.ok(['exec', '-d', 'cia-x', 'sh', '-c', 'echo bg > /tmp/bg']);
  await waitFor(() => s.run(['exec', 'cia-x', 'cat', '/tmp/bg']).stdout === 'bg\n', 10000, 'exec -d ran');
  const t = spawnTerm(['exec', '-it', 'cia-x', 'sh', '-c', 'sleep 0.5; tty; stty size'], s.env, { cols: 77, rows: 21 });
  await t.expect(/\/dev\/pts\/\d+\r?\r\n21 77/, 15000);
  assert.equal((await t.exited).exitCode, 0);
  s.ok(['stop', '-t', '0', 'cia-x']);
  const st = s.run(['exec', 'cia-x', 'true']);
  assert.equal(st.code, 125);
  assert.match(st.stderr, /running/);
});

test('attach works when the runroot path is too long for a unix socket address', () => {
  const s = cstore('cia-long');
  const long = `${s.runroot}-${'r'.repeat(70)}`;
  s.env.CONMAN_RUNROOT = long;
  s.ok(['run', '-d', '-i', '--name', 'cia-l', '--network', 'none', IMG(), 'sh', '-c', 'read x; echo got:$x; exit 2']);
  const i = s.run(['attach', 'cia-l'], { input: 'hello\n' });
  assert.equal(i.code, 2, show(i));
  assert.equal(i.stdout, 'got:hello\n');
  s.ok(['rm', 'cia-l']);
});
