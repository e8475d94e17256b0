/**
 * `run`'s command line as main.ts parses it (the split at the image, then yargs with run's own flags, then
 * createOptions): values, repeats, short-flag bundles, `--opt=value`, and what after the image belongs to
 * the command. Nothing is run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { splitRunArgv } from '../../src/commands/run-argv.js';
import { createOptions } from '../../src/commands/run-flags.js';
import { runCommand } from '../../src/commands/run.js';
import type { CreateOptions } from '../../src/core/container/options.js';

/** Parses argv (`run ...`) the way main.ts does; returns yargs' argv and run's CreateOptions. */
async function parse(argv: string[]): Promise<{ a: Record<string, unknown>; o: CreateOptions }> {
  let got: Record<string, unknown> | undefined;
  await yargs(splitRunArgv(argv))
    .option('root', { type: 'string', global: true })
    .option('runroot', { type: 'string', global: true })
    .option('runtime', { type: 'string', global: true })
    .option('log-level', { type: 'string', global: true })
    .command({ ...runCommand, handler: (a: Record<string, unknown>) => void (got = a) })
    .strict()
    .parserConfiguration({ 'populate--': true, 'halt-at-non-option': false })
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .exitProcess(false)
    .parseAsync();
  assert.ok(got, `no handler ran for ${argv.join(' ')}`);
  return { a: got, o: createOptions(got) };
}

test('the split puts `--` after the image, wherever the options are', () => {
  const cases: Array<[string[], string[]]> = [
    [['run', 'img', 'sh', '-c', 'exit 3'], ['run', 'img', '--', 'sh', '-c', 'exit 3']],
    [['run', '--name=x', 'img', 'ls'], ['run', '--name=x', 'img', '--', 'ls']],
    [['run', '-it', 'img'], ['run', '-it', 'img']],
    [['run', '-itp', '80:80', 'img', 'x'], ['run', '-itp', '80:80', 'img', '--', 'x']],
    [['run', '-e=A=1', 'img', 'x'], ['run', '-e=A=1', 'img', '--', 'x']],
    [['--root', '/r', 'run', '-d', 'img', 'x'], ['--root', '/r', 'run', '-d', 'img', '--', 'x']],
    [['container', 'run', 'img', '-x'], ['container', 'run', 'img', '--', '-x']],
    [['exec', '-it', 'ctr', 'sh', '-l'], ['exec', '-it', 'ctr', '--', 'sh', '-l']],
    [['run', 'img', '--', 'x'], ['run', 'img', '--', '--', 'x']],
    [['run', '--', 'img'], ['run', '--', 'img']],
    [['ps', '-a'], ['ps', '-a']],
    // -v is --version at the top: in run it is --volume
    [['run', '-v', '/a:/b', 'img'], ['run', '--volume', '/a:/b', 'img']],
    // a flag it does not know takes no value, so it cannot swallow the image
    [['run', '--bogus', 'img', 'x'], ['run', '--bogus=true', 'img', '--', 'x']],
    [['run', '--no-tls-verify', 'img', 'x'], ['run', '--no-tls-verify', 'img', '--', 'x']],
  ];
  for (const [argv, want] of cases) assert.deepEqual(splitRunArgv(argv), want, argv.join(' '));
});

test('value options: repeats collect, single ones keep the last, `=` forms and short bundles', async () => {
  const { o } = await parse([
    'run', '-e', 'A=1', '--env=B=2', '-e', 'C', '-u', 'first', '--user', '1000:1000', '--name=web', '-p', '8080:80',
    '--publish', '53:53/udp', '-m', '512m', '--cpus', '0.5', '-c', '512', '--cpuset-cpus=0-1', '--pids-limit', '-1',
    '--label', 'a=b', '-l', 'c=d', '--stop-timeout', '3', '--stop-signal', 'SIGINT', '--net', 'none', '-w', '/tmp',
    '--entrypoint', '["/bin/sh","-c"]', '--tmpfs', '/run:size=1m', '--ulimit', 'nofile=10:20', '--cap-add', 'NET_ADMIN',
    '--cap-drop=ALL', '--shm-size', '1g', '--hostname', 'h', '--pull=never', 'img', 'echo', 'hi',
  ]);
  assert.equal(o.image, 'img');
  assert.deepEqual(o.command, ['echo', 'hi']);
  assert.deepEqual(o.env, ['A=1', 'B=2', 'C']);
  assert.equal(o.user, '1000:1000');
  assert.equal(o.name, 'web');
  assert.deepEqual(o.net?.publish, ['8080:80', '53:53/udp']);
  assert.equal(o.memory, '512m');
  assert.equal(o.cpus, '0.5');
  assert.equal(o.cpuShares, '512');
  assert.equal(o.cpusetCpus, '0-1');
  assert.equal(o.pidsLimit, '-1');
  assert.deepEqual(o.label, ['a=b', 'c=d']);
  assert.equal(o.stopTimeout, '3');
  assert.equal(o.stopSignal, 'SIGINT');
  assert.equal(o.network, 'none');
  assert.equal(o.workdir, '/tmp');
  assert.equal(o.entrypoint, '["/bin/sh","-c"]');
  assert.deepEqual(o.tmpfs, ['/run:size=1m']);
  assert.deepEqual(o.ulimit, ['nofile=10:20']);
  assert.deepEqual(o.capAdd, ['NET_ADMIN']);
  assert.deepEqual(o.capDrop, ['ALL']);
  assert.equal(o.shmSize, '1g');
  assert.equal(o.hostname, 'h');
  assert.equal(o.pull, 'never');
});

test('booleans, bundles and what belongs to the command', async () => {
  let { a, o } = await parse(['run', '-itd', '--rm', '-v', '/h:/c:ro', 'img', 'sh', '-c', 'exit 3']);
  assert.equal(o.interactive, true);
  assert.equal(o.tty, true);
  assert.equal(o.rm, true);
  assert.equal(a.detach, true);
  assert.deepEqual(o.volume, ['/h:/c:ro']);
  assert.deepEqual(o.command, ['sh', '-c', 'exit 3']);
  // options after the image are the command's
  ({ o } = await parse(['run', 'img', '--name', 'x', '-e', 'A=1']));
  assert.equal(o.name, undefined);
  assert.equal(o.env, undefined);
  assert.deepEqual(o.command, ['--name', 'x', '-e', 'A=1']);
  // a short value option last in a bundle takes the next word
  ({ o } = await parse(['run', '-ie', 'K=V', 'img']));
  assert.equal(o.interactive, true);
  assert.deepEqual(o.env, ['K=V']);
  assert.deepEqual(o.command, []);
  ({ a, o } = await parse(['run', '--tls-verify=false', '--read-only', '--init', '-P', '--sig-proxy=false', '-a', 'stdout', '-a', 'stderr', 'img']));
  assert.equal(o.pullOptions?.tlsVerify, false);
  assert.equal(o.readOnly, true);
  assert.equal(o.init, true);
  assert.equal(o.net?.publishAll, true);
  assert.equal(a.sigProxy, false);
  assert.deepEqual(a.attach, ['stdout', 'stderr']);
  // global options before the command
  ({ a, o } = await parse(['--root', '/r', '--log-level', 'debug', 'run', 'img']));
  assert.equal(a.root, '/r');
  assert.equal(a.logLevel, 'debug');
  assert.equal(o.image, 'img');
});

test('an unknown option is named, not taken for the image', async () => {
  await assert.rejects(parse(['run', '--bogus-flag', 'img']), /Unknown argument/);
  await assert.rejects(parse(['run']), /Not enough non-option arguments/);
});
