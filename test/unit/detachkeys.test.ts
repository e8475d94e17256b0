import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetachMatcher, parseDetachKeys, DEFAULT_DETACH_KEYS } from '../../src/cli/terminal/detachkeys.js';
import { ConmanError } from '../../src/base/errors.js';

test('parses podman detach key syntax', () => {
  assert.deepEqual([...parseDetachKeys(DEFAULT_DETACH_KEYS)], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-a,x,ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')], [1, 120, 0, 27, 28, 29, 30, 31]);
  assert.equal(parseDetachKeys('').length, 0);
});

test('rejects bad detach keys with a clear error', () => {
  for (const bad of ['ctrl-', 'ctrl-1', 'alt-x', 'ab', 'ctrl-p,,ctrl-q']) {
    assert.throws(() => parseDetachKeys(bad), (e: unknown) => e instanceof ConmanError && /invalid detach keys/.test(e.message), bad);
  }
});

test('matcher holds a partial match, releases it on mismatch, detaches on the full sequence', () => {
  const m = new DetachMatcher(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.deepEqual(m.feed(Buffer.from('ab')), { forward: Buffer.from('ab'), detach: false });
  assert.deepEqual(m.feed(Buffer.from([16])), { forward: Buffer.alloc(0), detach: false });
  assert.deepEqual(m.feed(Buffer.from('x')), { forward: Buffer.from([16, 120]), detach: false });
  assert.deepEqual(m.feed(Buffer.from([16, 16, 17, 65])), { forward: Buffer.from([16]), detach: true });
  const off = new DetachMatcher(parseDetachKeys(''));
  assert.deepEqual(off.feed(Buffer.from([16, 17])), { forward: Buffer.from([16, 17]), detach: false });
});
