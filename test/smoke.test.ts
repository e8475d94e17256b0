import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newStore, show } from './lib/conman.js';

test('conman --version prints the version and exits 0', () => {
  const r = newStore().run(['--version']);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /^conman version \d+\.\d+\.\d+/);
});

test('an unknown command exits 125 and names it', () => {
  const r = newStore().run(['frobnicate']);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /frobnicate/);
});
