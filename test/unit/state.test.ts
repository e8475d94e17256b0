/**
 * State reconciliation from files only (src/core/container/state.ts): a temp root with hand-written
 * container.json and exit.json, and pids that are alive (this process), dead (a child that has exited),
 * or reused (alive, with another start time).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeContext } from '../../src/base/context.js';
import { bootId, procStart } from '../../src/base/proc.js';
import { containerFile, exitFile } from '../../src/storage/layout.js';
import type { ContainerRecord, ContainerState } from '../../src/storage/containers.js';
import { containerIds, current, liveState, markBoot, rebootPending } from '../../src/core/container/state.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'conman-unit-state-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));
const ctx = makeContext({ root: path.join(base, 'root'), runroot: path.join(base, 'run') }, base, {});

const ME = process.pid;
const MY_START = procStart(ME)!;
/** a pid that was alive a moment ago and is not any more */
const DEAD = spawnSync('true').pid!;

let n = 0;
/** Writes a container.json by hand (as a shim and a CLI of this version would have left it). */
function container(state: Partial<ContainerState>, exit?: object): ContainerRecord {
  const id = (++n).toString(16).padStart(64, 'c');
  const rec = {
    schema: 1,
    id,
    name: `c${n}`,
    created: '2025-01-01T00:00:00.000Z',
    image: { id: 'f'.repeat(64), name: 'docker.io/library/busybox:latest' },
    config: {
      entrypoint: [], cmd: ['sh'], env: [], workingDir: '/', user: '', hostname: id.slice(0, 12), labels: {}, mounts: [],
      readOnly: false, stopSignal: 'SIGTERM', stopTimeout: 10, autoRemove: false, interactive: false, tty: false, network: 'none',
    },
    state: { status: 'running', pid: 0, shimPid: 0, exitCode: 0, oomKilled: false, startedAt: '2025-01-01T00:00:01.000Z', bootId: bootId(), ...state },
  };
  fs.mkdirSync(path.dirname(containerFile(ctx, id)), { recursive: true });
  fs.writeFileSync(containerFile(ctx, id), JSON.stringify(rec, null, 2));
  if (exit) fs.writeFileSync(exitFile(ctx, id), JSON.stringify(exit) + '\n');
  return rec as ContainerRecord;
}

test('states other than running are taken as written', () => {
  for (const status of ['created', 'exited'] as const) {
    const rec = container({ status, exitCode: 7 }, { exitCode: 1, finishedAt: '2025-01-01T00:00:09.000Z' });
    assert.deepEqual(liveState(ctx, rec), rec.state);
  }
});

test("a running container whose shim wrote exit.json is exited, with the shim's code", () => {
  const rec = container({ shimPid: ME, shimStart: MY_START, pid: ME, pidStart: MY_START }, { exitCode: 137, finishedAt: '2025-01-01T00:00:09.000Z', oomKilled: true });
  const st = liveState(ctx, rec);
  assert.equal(st.status, 'exited');
  assert.equal(st.exitCode, 137);
  assert.equal(st.finishedAt, '2025-01-01T00:00:09.000Z');
  assert.equal(st.oomKilled, true);
  assert.equal(st.pid, 0);
  const withError = container({ shimPid: DEAD, error: 'old' }, { exitCode: 0, finishedAt: '2025-01-01T00:00:09.000Z', error: 'cleanup failed: x' });
  assert.equal(liveState(ctx, withError).error, 'cleanup failed: x');
});

test('running while the shim lives, or (shim gone) while the container init lives', () => {
  assert.equal(liveState(ctx, container({ shimPid: ME, shimStart: MY_START, pid: DEAD })).status, 'running');
  assert.equal(liveState(ctx, container({ shimPid: DEAD, pid: ME, pidStart: MY_START })).status, 'running');
  // no start time recorded: the pid alone
  assert.equal(liveState(ctx, container({ shimPid: ME, pid: DEAD })).status, 'running');
});

test('shim and container gone without exit.json: exited, exit code lost', () => {
  const st = liveState(ctx, container({ shimPid: DEAD, pid: DEAD }));
  assert.equal(st.status, 'exited');
  assert.equal(st.exitCode, -1);
  assert.equal(st.pid, 0);
  assert.match(st.error!, /shim was not running: exit code lost/);
  assert.ok(st.finishedAt);
});

test('a reused pid (alive, other start time) is not the container', () => {
  const other = String(Number(MY_START) + 1);
  const st = liveState(ctx, container({ shimPid: ME, shimStart: other, pid: ME, pidStart: other }));
  assert.equal(st.status, 'exited');
  assert.equal(st.exitCode, -1);
});

test('a container started in another boot is exited, even if its pids are taken again', () => {
  const st = liveState(ctx, container({ shimPid: ME, shimStart: MY_START, pid: ME, pidStart: MY_START, bootId: 'another-boot' }));
  assert.equal(st.status, 'exited');
  assert.match(st.error!, /rebooted/);
  const forced = liveState(ctx, container({ shimPid: ME, shimStart: MY_START }), true);
  assert.match(forced.error!, /rebooted/);
});

test('current() reads the record from disk; containerIds() filters the running ones', () => {
  const running = container({ shimPid: ME, shimStart: MY_START });
  const gone = container({ shimPid: DEAD, pid: DEAD });
  assert.equal(current(ctx, running.id)?.state.status, 'running');
  assert.equal(current(ctx, gone.id)?.state.status, 'exited');
  assert.equal(current(ctx, 'e'.repeat(64)), undefined);
  const all = containerIds(ctx);
  assert.ok(all.includes(running.id) && all.includes(gone.id));
  const live = containerIds(ctx, { running: true });
  assert.ok(live.includes(running.id));
  assert.ok(!live.includes(gone.id));
  // the file on disk is left as it was: reads have no side effects
  assert.equal(JSON.parse(fs.readFileSync(containerFile(ctx, gone.id), 'utf8')).state.status, 'running');
});

test('a reboot is pending until the runroot is marked with this boot', () => {
  assert.equal(rebootPending(ctx), true);
  markBoot(ctx);
  assert.equal(rebootPending(ctx), false);
});
