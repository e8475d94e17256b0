/**
 * Issue 4 end to end: terminals driven through a real pseudo-terminal, several attach clients, -a, -t without a
 * terminal, exec exit codes and leftovers, sig-proxy, logs (-f completeness, filters, odd lines), wait
 * --condition, slow/absent attach clients and a full disk under the log.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CONMAN } from './lib/conman.js';
import { spawnTerm } from './lib/pty.js';
import { testTmp } from './lib/tmp.js';
import { cleanupStores, cstore, inspect, IMG, show, waitFor } from './containers-helpers.js';

after(cleanupStores);

const PROMPT = /\/ # /;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('terminal: 42, Ctrl-C interrupts sleep and the shell survives, exit 7; custom and disabled detach keys', async () => {
  const s = cstore('iact-term');
  const t = spawnTerm(['run', '-it', '--rm', '--network', 'none', IMG(), 'sh'], s.env);
  await t.expect(PROMPT, 30000);
  let from = t.output().length;
  t.write('echo $((6*7))\r');
  await t.expect(/\r\n42\r?\r\n/, 15000, from);
  assert.doesNotMatch(t.output(), /\r\r\n/, 'lines end in \\r\\n as the container wrote them (our terminal is fully raw)');
  from = t.output().length;
  const before = Date.now();
  t.write('sleep 30\r');
  await sleep(700);
  t.write('\x03');
  await t.expect(/\^C/, 10000, from);
  t.write('echo alive-$((1+1))\r');
  await t.expect(/alive-2/, 10000, from);
  assert.ok(Date.now() - before < 20000, 'sleep was interrupted');
  t.write('exit 7\r');
  assert.equal((await t.exited).exitCode, 7);

  // custom keys: ctrl-p ctrl-q is typed through, ctrl-a x detaches
  const c = spawnTerm(['run', '-it', '--name', 'iact-k', '--detach-keys', 'ctrl-a,x', '--network', 'none', IMG(), 'sh'], s.env);
  await c.expect(PROMPT, 30000);
  c.write('\x10\x11');
  await sleep(300);
  c.write('echo still-$((3+4))\r');
  await c.expect(/still-7/, 10000);
  c.write('\x01x');
  assert.equal((await c.exited).exitCode, 0, 'ctrl-a,x detached');
  assert.equal(inspect(s, 'iact-k').State.Status, 'running');

  // "" disables detaching: ctrl-p ctrl-q reach the shell, which runs on until exit
  const d = spawnTerm(['attach', '--detach-keys', '', 'iact-k'], s.env);
  await sleep(500);
  d.write('\x10\x11');
  await sleep(300);
  d.write('echo nodetach-$((5+5))\r');
  await d.expect(/nodetach-10/, 10000);
  d.write('exit 9\r');
  assert.equal((await d.exited).exitCode, 9);
  assert.equal(inspect(s, 'iact-k').State.ExitCode, 9);
});

test('two attach clients both see the output; --no-stdin sends nothing; detach and re-attach', async () => {
  const s = cstore('iact-two');
  s.ok(['run', '-dit', '--name', 'iact-2', '--network', 'none', IMG(), 'sh']);
  const a = spawnTerm(['attach', 'iact-2'], s.env);
  const b = spawnTerm(['attach', '--no-stdin', 'iact-2'], s.env);
  await sleep(800);
  a.write('echo both-$((20+2))\r');
  await a.expect(/both-22/, 10000);
  await b.expect(/both-22/, 10000);
  b.write('echo fromb-$((1+1))\r'); // b's terminal is not raw and its input goes nowhere
  await sleep(800);
  assert.doesNotMatch(a.output(), /fromb-2/, 'the --no-stdin client sent nothing');
  a.write('\x10\x11');
  assert.equal((await a.exited).exitCode, 0);
  const again = spawnTerm(['attach', 'iact-2'], s.env);
  await sleep(800);
  again.write('echo again-$((2+2))\r');
  await again.expect(/again-4/, 10000);
  await b.expect(/again-4/, 10000);
  again.write('exit 3\r');
  assert.equal((await again.exited).exitCode, 3);
  assert.equal((await b.exited).exitCode, 3, 'the other client gets the exit code too');
});

test('a -dit shell (its cursor-position query unanswered) serves a non-terminal attach; -t without a terminal stdin warns and goes on', async () => {
  const s = cstore('iact-dt');
  s.ok(['run', '-dit', '--name', 'iact-q', '--network', 'none', IMG(), 'sh']);
  await sleep(500);
  const r = s.run(['attach', 'iact-q'], { input: 'echo q-$((2*3))\nexit 6\n', timeoutMs: 30000 });
  assert.equal(r.code, 6, show(r));
  assert.match(r.stdout, /q-6/);
  // -it with piped stdin: podman's warning, the data and its EOF reach the container, nothing hangs
  const p = s.run(['run', '-it', '--rm', '--network', 'none', IMG(), 'cat'], { input: 'piped\n', timeoutMs: 30000 });
  assert.equal(p.code, 0, show(p));
  assert.match(p.stdout, /piped\r\n/);
  assert.match(p.stderr, /input device is not a TTY/);
  const i = s.run(['run', '-i', '--rm', '--network', 'none', IMG(), 'cat'], { input: 'data\n', timeoutMs: 30000 });
  assert.equal(i.stdout, 'data\n', show(i));
  const tonly = s.run(['run', '-t', '--rm', '--network', 'none', IMG(), 'echo', 'tt'], { timeoutMs: 30000 });
  assert.equal(tonly.stdout, 'tt\r\n', show(tonly));
  // a detached -dt shell with no stdin at all keeps running (nothing stalls on the missing terminal)
  s.ok(['run', '-dt', '--name', 'iact-dt', '--network', 'none', IMG(), 'sh', '-c', 'printf "\\033[6n"; echo after-query; sleep 100']);
  await waitFor(() => s.run(['logs', 'iact-dt']).stdout.includes('after-query'), 10000, 'output after the query');
  assert.equal(inspect(s, 'iact-dt').State.Status, 'running');
});

test('run -a stdout|stderr|stdin', () => {
  const s = cstore('iact-a');
  const cmd = ['--rm', '--network', 'none', IMG(), 'sh', '-c', 'echo out; echo err >&2'];
  const o = s.run(['run', '-a', 'stdout', ...cmd]);
  assert.deepEqual([o.code, o.stdout, o.stderr], [0, 'out\n', ''], show(o));
  const e = s.run(['run', '-a', 'stderr', ...cmd]);
  assert.deepEqual([e.code, e.stdout, e.stderr], [0, '', 'err\n'], show(e));
  const both = s.run(['run', '-a', 'stdout', '-a', 'stderr', ...cmd]);
  assert.deepEqual([both.stdout, both.stderr], ['out\n', 'err\n']);
  const i = s.run(['run', '-i', '-a', 'stdin', '-a', 'stdout', '--rm', '--network', 'none', IMG(), 'sh', '-c', 'cat; echo end'], { input: 'in\n' });
  assert.equal(i.stdout, 'in\nend\n', show(i));
  assert.equal(s.run(['run', '-a', 'bogus', ...cmd]).code, 125);
  assert.equal(s.run(['run', '-d', '-a', 'stdout', ...cmd]).code, 125);
});

test('exec: exit codes 0 1 126 127 and a signal death, piped stdin, no leftovers after many execs', () => {
  const s = cstore('iact-exec');
  s.ok(['run', '-d', '--name', 'iact-x', '--network', 'none', IMG(), 'sleep', '1000']);
  assert.equal(s.run(['exec', 'iact-x', 'true']).code, 0);
  assert.equal(s.run(['exec', 'iact-x', 'false']).code, 1);
  assert.equal(s.run(['exec', 'iact-x', '/etc/passwd']).code, 126);
  assert.equal(s.run(['exec', 'iact-x', 'nosuch']).code, 127);
  assert.equal(s.run(['exec', 'iact-x', 'sh', '-c', 'kill -9 $$']).code, 137);
  assert.equal(s.run(['exec', 'iact-x', 'sh', '-c', 'kill -TERM $$']).code, 143);
  const r = spawnSync('sh', ['-c', `echo ok | ${CONMAN} exec -i iact-x cat`], { env: s.env });
  assert.equal(r.stdout.toString(), 'ok\n');
  const id = inspect(s, 'iact-x').Id as string;
  const vdir = path.join(s.runroot, id.slice(0, 12));
  const before = fs.readdirSync(vdir).sort();
  for (let n = 0; n < 25; n++) s.run(['exec', ...(n % 2 ? ['-i'] : []), 'iact-x', 'sh', '-c', `exit ${n % 3}`]);
  // a killed exec CLI leaves its session file; the next exec sweeps it
  fs.writeFileSync(path.join(vdir, 'exec-999999999-abcdef.json'), '{}');
  s.run(['exec', 'iact-x', 'true']);
  assert.deepEqual(fs.readdirSync(vdir).sort(), before, 'no exec files or sockets left behind');
  assert.equal(s.run(['exec', '--detach-keys', 'ctrl-', 'iact-x', 'true']).code, 125, 'bad detach keys are refused');
  assert.equal(s.ok(['exec', '--detach-keys', 'ctrl-a,b', 'iact-x', 'echo', 'k']), 'k\n');
  s.ok(['stop', '-t', '0', 'iact-x']);
  const st = s.run(['exec', 'iact-x', 'true']);
  assert.equal(st.code, 125);
  assert.match(st.stderr, /running containers/);
});

test('sig-proxy: INT and TERM sent to the foreground CLI reach the container; --sig-proxy=false does not', async () => {
  const s = cstore('iact-sig');
  const script = 'trap "echo got INT" INT; trap "echo got TERM; exit 9" TERM; echo ready; while true; do sleep 0.1; done';
  const p = spawn(CONMAN, ['run', '--name', 'iact-s', '--network', 'none', IMG(), 'sh', '-c', script], { env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  const code = new Promise<number | null>((r) => p.on('close', (c) => r(c)));
  await waitFor(() => out.includes('ready'), 30000, 'ready');
  p.kill('SIGINT');
  await waitFor(() => out.includes('got INT'), 10000, 'INT delivered');
  p.kill('SIGTERM');
  assert.equal(await code, 9);
  assert.equal(s.ok(['logs', 'iact-s']), 'ready\ngot INT\ngot TERM\n');

  const q = spawn(CONMAN, ['run', '--sig-proxy=false', '--name', 'iact-n', '--network', 'none', IMG(), 'sh', '-c', script], { env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let qout = '';
  q.stdout.on('data', (d) => (qout += d));
  const qcode = new Promise<NodeJS.Signals | null>((r) => q.on('close', (_c, sig) => r(sig)));
  await waitFor(() => qout.includes('ready'), 30000, 'ready');
  q.kill('SIGTERM');
  assert.equal(await qcode, 'SIGTERM', 'the CLI itself died of the signal');
  await sleep(500);
  assert.equal(inspect(s, 'iact-n').State.Status, 'running', 'the container got nothing');
  assert.doesNotMatch(s.ok(['logs', 'iact-n']), /got/);
});

test('logs -f: 100000 lines in order and nothing missing at the end', async () => {
  const s = cstore('iact-logf');
  s.ok(['run', '-d', '--name', 'iact-l', '--network', 'none', IMG(), 'sh', '-c', 'sleep 1; seq 1 100000']);
  const r = await s.runAsync(['logs', '-f', 'iact-l'], { timeoutMs: 120000 });
  assert.equal(r.code, 0, show(r));
  const lines = r.stdout.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, 100000);
  for (let i = 0; i < lines.length; i++) if (lines[i] !== String(i + 1)) assert.fail(`line ${i + 1} is ${lines[i]}`);
});

test('logs: long lines, \\r\\n, no final newline, stderr apart, --tail, -t, --since, --until', async () => {
  const s = cstore('iact-logs');
  const script = "head -c 100000 /dev/zero | tr '\\0' a; echo; printf 'crlf\\r\\n'; echo to-err >&2; echo early; sleep 2; echo late; printf no-newline";
  s.ok(['run', '--name', 'iact-g', '--network', 'none', IMG(), 'sh', '-c', script]);
  const r = s.run(['logs', 'iact-g']);
  assert.equal(r.stdout, `${'a'.repeat(100000)}\ncrlf\r\nearly\nlate\nno-newline`);
  assert.equal(r.stderr, 'to-err\n');
  const file = path.join(s.root, 'containers', inspect(s, 'iact-g').Id, 'ctr.log');
  assert.match(fs.readFileSync(file, 'utf8'), / stdout P a+\n/, 'the long line was stored in parts (P records)');
  assert.equal(s.ok(['logs', '--tail', '2', 'iact-g']), 'late\nno-newline');
  const t = s.ok(['logs', '-t', 'iact-g']).split('\n');
  const ts = (word: string) => t.find((l) => l.endsWith(` ${word}`))!.split(' ')[0]!;
  assert.match(ts('early'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
  assert.equal(s.ok(['logs', '--since', ts('late'), 'iact-g']), 'late\nno-newline');
  assert.equal(s.ok(['logs', '--until', ts('early'), 'iact-g']).split('\n').slice(-2).join('|'), 'early|', 'until stops at early');
  assert.doesNotMatch(s.ok(['logs', '--until', ts('early'), 'iact-g']), /late/);
});

test('wait: several containers, one exit code per line; --condition running/created/stopped', async () => {
  const s = cstore('iact-wait');
  s.ok(['run', '-d', '--name', 'iact-w1', '--network', 'none', IMG(), 'sh', '-c', 'sleep 1; exit 3']);
  s.ok(['create', '--name', 'iact-w2', '--network', 'none', IMG(), 'sh', '-c', 'sleep 1; exit 4']);
  assert.equal(s.ok(['wait', '--condition', 'created', 'iact-w2']), '-1\n');
  const running = s.runAsync(['wait', '--condition', 'running', '--interval', '50ms', 'iact-w2']);
  await sleep(500);
  s.ok(['start', 'iact-w2']);
  assert.equal((await running).stdout, '-1\n');
  assert.equal(s.ok(['wait', 'iact-w1', 'iact-w2']), '3\n4\n');
  assert.equal(s.ok(['wait', '--condition', 'stopped', '--condition', 'running', 'iact-w1']), '3\n');
  assert.equal(s.ok(['wait', '--ignore', 'iact-w1', 'iact-nope']), '3\n-1\n');
  const bad = s.run(['wait', '--condition', 'bogus', 'iact-w1']);
  assert.equal(bad.code, 125, show(bad));
  const missing = s.run(['wait', 'iact-w1', 'iact-nope']);
  assert.equal(missing.code, 125);
  assert.equal(missing.stdout, '3\n');
});

test('attach clients that never read, or are stopped, do not block the container', async () => {
  const s = cstore('iact-slow');
  s.ok(['run', '-d', '--name', 'iact-b', '--network', 'none', IMG(), 'sh', '-c', 'sleep 2; head -c 40000000 /dev/zero; exit 5']);
  const id = inspect(s, 'iact-b').Id as string;
  const sock = net.connect(path.join(s.runroot, id.slice(0, 12), 'attach'));
  sock.pause(); // connected, never reads
  sock.on('error', () => {});
  const stopped = spawn(CONMAN, ['attach', 'iact-b'], { env: s.env, stdio: ['ignore', 'pipe', 'ignore'] });
  await sleep(500);
  stopped.kill('SIGSTOP');
  const w = s.run(['wait', 'iact-b'], { timeoutMs: 60000 });
  assert.equal(w.stdout, '5\n', show(w));
  stopped.kill('SIGKILL');
  sock.destroy();
  const size = fs.statSync(path.join(s.root, 'containers', id, 'ctr.log')).size;
  assert.ok(size > 40000000, `the log got everything (${size} bytes)`);
});

test('a full disk under the log does not kill the shim: the exit code is recorded and reported', () => {
  const s = cstore('iact-full');
  const mnt = fs.mkdtempSync(path.join(testTmp(), 'iact-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt]);
  const env = { CONMAN_ROOT: path.join(mnt, 'root'), CONMAN_RUNROOT: path.join(mnt, 'run') };
  try {
    const pull = s.run(['pull', '-q', IMG()], { env });
    assert.equal(pull.code, 0, show(pull));
    // started before the disk fills up; writes once it is full
    const gate = fs.mkdtempSync(path.join(testTmp(), 'iact-gate-'));
    const d = s.run(['run', '-d', '--name', 'iact-f2', '--network', 'none', '-v', `${gate}:/m`, IMG(), 'sh', '-c', 'while [ ! -e /m/go ]; do sleep 0.1; done; seq 1 100000; exit 4'], { env });
    assert.equal(d.code, 0, show(d));
    // more output than fits, in the foreground: the CLI gets all of it and the exit code
    const fg = s.run(['run', '--name', 'iact-f1', '--network', 'none', IMG(), 'sh', '-c', 'head -c 40000000 /dev/zero | tr "\\0" x | fold -w 100; echo; echo done; exit 3'], { env, timeoutMs: 120000 });
    assert.equal(fg.code, 3, show({ ...fg, stdout: fg.stdout.slice(-200) }));
    assert.match(fg.stdout, /done\n$/);
    assert.equal(fg.stdout.length, 40000000 + 400000 + 5);
    // the detached one writes to a disk that is full now
    fs.writeFileSync(path.join(gate, 'go'), '');
    const w = s.run(['wait', 'iact-f2'], { env, timeoutMs: 60000 });
    assert.equal(w.stdout, '4\n', show(w));
    const df = execFileSync('df', ['-k', mnt], { encoding: 'utf8' }).trim().split('\n')[1]!.split(/\s+/);
    assert.ok(Number(df[3]) < 1024, `the disk is full (${df.join(' ')})`);
    const ps = s.run(['ps', '-a', '--format', '{{.Names}} {{.Status}}'], { env });
    assert.match(ps.stdout, /iact-f1 Exited \(3\)/);
    assert.match(ps.stdout, /iact-f2 Exited \(4\)/);
  } finally {
    s.run(['rm', '-a', '-f', '-t', '0'], { env });
    spawnSync('umount', ['-l', mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
  }
});

test('start -ai: a terminal, --detach-keys, then attach and exit', async () => {
  const s = cstore('iact-start');
  s.ok(['create', '-it', '--name', 'iact-st', '--network', 'none', IMG(), 'sh']);
  const t = spawnTerm(['start', '-ai', '--detach-keys', 'ctrl-x,y', 'iact-st'], s.env);
  await t.expect(PROMPT, 30000);
  t.write('echo started-$((9*9))\r');
  await t.expect(/started-81/, 10000);
  t.write('\x18y');
  assert.equal((await t.exited).exitCode, 0);
  assert.equal(inspect(s, 'iact-st').State.Status, 'running');
  assert.equal(s.run(['start', '-a', '--detach-keys', 'ctrl-', 'iact-st']).code, 125, 'bad keys refused');
  const a = spawnTerm(['attach', 'iact-st'], s.env);
  await sleep(500);
  a.write('exit 12\r');
  assert.equal((await a.exited).exitCode, 12);
});
