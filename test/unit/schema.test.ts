// The state files' shapes are checked on read: a record of the wrong shape is an ESTATE error naming the file
// and the field, and a good one reads back as written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeContext } from '../../src/base/context.js';
import { readContainer, readExit } from '../../src/storage/containers.js';
import { readImages } from '../../src/storage/images.js';
import { containerFile, exitFile, imagesFile } from '../../src/storage/layout.js';
import { isConmanError } from '../../src/base/errors.js';

const id = 'ab'.repeat(32);
const good = {
  schema: 1,
  id,
  name: 'n1',
  created: new Date().toISOString(),
  image: { id: 'cd'.repeat(32), name: 'localhost/x:latest' },
  config: { entrypoint: [], cmd: ['true'], env: [], mounts: [], extraField: 1 },
  state: { status: 'exited', pid: 0, shimPid: 0, exitCode: 3, oomKilled: false },
};

function store() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conman-schema-'));
  const ctx = makeContext({ root }, process.cwd());
  fs.mkdirSync(path.dirname(containerFile(ctx, id)), { recursive: true });
  return { ctx, done: () => fs.rmSync(root, { recursive: true, force: true }) };
}

test('a container.json of the right shape reads back; extra fields pass through', () => {
  const { ctx, done } = store();
  try {
    fs.writeFileSync(containerFile(ctx, id), JSON.stringify(good));
    const rec = readContainer(ctx, id)!;
    assert.equal(rec.state.exitCode, 3);
    assert.equal((rec.config as unknown as Record<string, unknown>).extraField, 1);
  } finally {
    done();
  }
});

test('a container.json of the wrong shape is ESTATE naming the file and the field', () => {
  const { ctx, done } = store();
  try {
    fs.writeFileSync(containerFile(ctx, id), JSON.stringify({ ...good, state: { ...good.state, status: 'dancing' } }));
    assert.throws(
      () => readContainer(ctx, id),
      (e: unknown) => isConmanError(e, 'ESTATE') && e.message.includes(containerFile(ctx, id)) && e.message.includes('state.status'),
    );
    fs.writeFileSync(containerFile(ctx, id), JSON.stringify([1, 2]));
    assert.throws(() => readContainer(ctx, id), (e: unknown) => isConmanError(e, 'ESTATE'));
  } finally {
    done();
  }
});

test('exit.json and images.json are checked too', () => {
  const { ctx, done } = store();
  try {
    fs.writeFileSync(exitFile(ctx, id), JSON.stringify({ exitCode: 'x', finishedAt: '' }));
    assert.equal(readExit(ctx, id), undefined); // readers of exit.json treat a bad one as absent, as before
    fs.writeFileSync(exitFile(ctx, id), JSON.stringify({ exitCode: 7, finishedAt: 'now' }));
    assert.equal(readExit(ctx, id)?.exitCode, 7);
    fs.mkdirSync(path.dirname(imagesFile(ctx)), { recursive: true });
    fs.writeFileSync(imagesFile(ctx), JSON.stringify({ schema: 1, images: [{ id: 'x', names: 'not-a-list' }] }));
    assert.throws(
      () => readImages(ctx),
      (e: unknown) => isConmanError(e, 'ESTATE') && e.message.includes('images.0.names'),
    );
  } finally {
    done();
  }
});
