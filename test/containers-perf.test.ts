/**
 * The fast paths of the container commands give the same results as the general ones.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupStores, cstore, IMG } from './containers-helpers.js';

after(cleanupStores);

test('logs of a big log (several read chunks, partial lines, both streams) equals the output and the line-parsing path', async () => {
  const s = cstore('cpf-logs');
  const line = 'x'.repeat(599);
  // ~9 MB of stdout (more than one 4 MB read chunk, records split by the shim wherever its reads end), then
  // partial lines interleaved with stderr, and a last line without a newline
  const script = `yes ${line} | head -c 9000000; printf part; echo err >&2; printf ial; echo; yes bb | head -c 30 >&2; printf end`;
  const run = s.run(['run', '--name', 'cpf-big', IMG(), 'sh', '-c', script]);
  assert.equal(run.code, 0, run.stderr);
  const want = `${line}\n`.repeat(Math.ceil(9000000 / 600)).slice(0, 9000000) + 'partial\nend';
  assert.equal(run.stdout.length, want.length);
  const fast = s.run(['logs', 'cpf-big']);
  assert.equal(fast.code, 0, fast.stderr);
  assert.equal(fast.stdout.length, want.length);
  assert.ok(fast.stdout === want, 'logs returns the stdout bytes in order');
  assert.equal(fast.stderr, 'err\n' + 'bb\n'.repeat(10));
  const slow = s.run(['logs', '--tail', '-1', 'cpf-big']); // the per-line parser (--tail -1 = all lines)
  assert.ok(slow.stdout === fast.stdout, 'fast and line-parsing paths agree on stdout');
  assert.equal(slow.stderr, fast.stderr);
});
