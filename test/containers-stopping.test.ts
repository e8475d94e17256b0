/**
 * The `stopping` state: `stop` marks a running container stopping before it signals it, readers show it as
 * running meanwhile, and the container ends exited (here after the SIGKILL fallback: it ignores TERM).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupStores, cstore, inspect, IMG, show, waitFor } from './containers-helpers.js';

after(cleanupStores);

test('wait --condition stopping returns while a container that traps TERM is being stopped', async () => {
  const s = cstore('cstop');
  s.ok(['run', '-d', '--name', 'cstop-t', IMG(), 'sh', '-c', 'trap "echo got-term" TERM; echo up; while true; do sleep 0.1; done']);
  await waitFor(() => s.run(['logs', 'cstop-t']).stdout.includes('up'), 10000, 'container up');
  assert.equal(s.ok(['wait', '--condition', 'running', 'cstop-t']), '-1\n');

  const waiting = s.runAsync(['wait', '--condition', 'stopping', '--interval', '50ms', 'cstop-t'], { timeoutMs: 30000 });
  let stopDone = false;
  const t0 = Date.now();
  const stopping = s.runAsync(['stop', '-t', '6', 'cstop-t'], { timeoutMs: 60000 }).then((r) => ((stopDone = true), r));
  const w = await waiting;
  assert.equal(w.code, 0, show(w));
  assert.equal(w.stdout, '-1\n');
  assert.equal(stopDone, false, 'wait returned while the stop was still under way');

  // meanwhile every reader shows it running
  await waitFor(() => s.run(['logs', 'cstop-t']).stdout.includes('got-term'), 10000, 'TERM delivered');
  assert.equal(s.ok(['ps', '--format', '{{.Names}} {{.State}}']), 'cstop-t running\n');
  const during = inspect(s, 'cstop-t').State;
  assert.equal(during.Status, 'running');
  assert.equal(during.Running, true);
  assert.ok(during.Pid > 0);
  assert.equal(stopDone, false, 'the container ignores TERM: the stop waits for its timeout');

  const r = await stopping;
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout, 'cstop-t\n');
  assert.match(r.stderr, /resorting to SIGKILL/);
  assert.ok(Date.now() - t0 >= 5000, 'the stop waited for its timeout before SIGKILL');
  const st = inspect(s, 'cstop-t').State;
  assert.equal(st.Status, 'exited');
  assert.equal(st.Running, false);
  assert.equal(st.ExitCode, 137);
  assert.equal(s.ok(['ps', '-a', '--format', '{{.Names}} {{.State}}']), 'cstop-t exited\n');
  assert.equal(s.ok(['wait', 'cstop-t']), '137\n');
  // it starts again, and `stop -t 0` (SIGKILL at once) ends it exited as well
  s.ok(['start', 'cstop-t']);
  assert.equal(inspect(s, 'cstop-t').State.Status, 'running');
  assert.equal(s.ok(['stop', '-t', '0', 'cstop-t']), 'cstop-t\n');
  assert.equal(s.ok(['wait', 'cstop-t']), '137\n');
  assert.equal(inspect(s, 'cstop-t').State.Status, 'exited');
  s.ok(['rm', 'cstop-t']);
  assert.deepEqual(s.mounts(), []);
});
