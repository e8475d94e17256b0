/**
 * tar-split round trips (src/core/image/layer-import.ts → tar-split.ts): a hand-made layer imported into a
 * temp store, then rebuilt by layerTarStream, gives back the very same bytes (so the same diffID), plain and
 * gzipped; a modified unpacked file is caught by the digest. Needs the native addon (loaded, not used: the
 * layers have no whiteouts or xattrs), no root.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import tarStream, { type Header } from 'tar-stream';
import { makeContext } from '../../src/base/context.js';
import { importLayer } from '../../src/core/image/layer-import.js';
import { layerTarStream } from '../../src/core/image/tar-split.js';
import { layerDiffDir } from '../../src/storage/layout.js';

/** What pack.entry() takes. */
type Headers = Partial<Header> & Pick<Header, 'name'>;

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'conman-unit-tarsplit-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

const sha = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

function tarOf(entries: Array<{ header: Headers; body?: string | Buffer }>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<Buffer>((resolve) => pack.on('end', () => resolve(Buffer.concat(chunks))));
  for (const e of entries) pack.entry(e.header, e.body ?? '');
  pack.finalize();
  return done;
}

async function collect(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

/** A layer with what real ones have: nested dirs, big and empty files, a long (PAX) name, links, odd modes. */
async function sampleLayer(): Promise<Buffer> {
  const mtime = new Date('2024-05-01T12:00:00Z');
  const big = crypto.randomBytes(3 * 1024 * 1024 + 17); // crosses the pipeline's 1 MiB buffers, odd padding
  const long = `usr/share/${'very-long-directory-name/'.repeat(6)}file.txt`;
  return tarOf([
    { header: { name: 'usr/', type: 'directory', mode: 0o755, mtime } },
    { header: { name: 'usr/bin/', type: 'directory', mode: 0o755, mtime } },
    { header: { name: 'usr/bin/big', type: 'file', mode: 0o755, size: big.length, mtime }, body: big },
    { header: { name: 'usr/bin/empty', type: 'file', mode: 0o600, size: 0, mtime } },
    { header: { name: 'usr/bin/sh', type: 'symlink', linkname: 'big', mtime } },
    { header: { name: 'usr/bin/big2', type: 'link', linkname: 'usr/bin/big', mtime } },
    { header: { name: long, type: 'file', mode: 0o644, size: 6, mtime, uid: 1000, gid: 1000, uname: 'u', gname: 'g' }, body: 'hello\n' },
    { header: { name: 'etc/', type: 'directory', mode: 0o1777, mtime } },
    { header: { name: 'etc/conf', type: 'file', mode: 0o4755, size: 3, mtime }, body: 'a=1' },
  ]);
}

test('import then export gives the same bytes, uncompressed and gzipped', async () => {
  const tar = await sampleLayer();
  const diffID = sha(tar);
  for (const [name, blob] of [['plain', tar], ['gzip', zlib.gzipSync(tar)]] as const) {
    const ctx = makeContext({ root: path.join(base, name, 'root'), runroot: path.join(base, name, 'run') }, REPO, {});
    const meta = await importLayer(ctx, Readable.from([blob]), { what: `${name} layer`, diffID, digest: sha(blob) });
    assert.equal(meta.diffID, diffID);
    assert.equal(meta.tarSplit, true);
    assert.equal(meta.size, tar.length);
    assert.deepEqual(meta.compressedDigests, name === 'gzip' ? [sha(blob)] : []);
    const again = await collect(layerTarStream(ctx, diffID));
    assert.equal(again.length, tar.length);
    assert.ok(again.equals(tar), `${name}: the rebuilt tar differs`);
    assert.equal(fs.readFileSync(path.join(layerDiffDir(ctx, diffID), 'usr/bin/empty')).length, 0);
  }
});

test('a wrong digest is refused and leaves nothing in the store', async () => {
  const tar = await sampleLayer();
  const ctx = makeContext({ root: path.join(base, 'wrong', 'root'), runroot: path.join(base, 'wrong', 'run') }, REPO, {});
  await assert.rejects(importLayer(ctx, Readable.from([tar]), { what: 'layer', diffID: `sha256:${'0'.repeat(64)}` }), /uncompressed digest mismatch/);
  assert.equal(fs.existsSync(layerDiffDir(ctx, sha(tar))), false);
});

test('an unpacked file changed after import: the export fails on the digest', async () => {
  const tar = await sampleLayer();
  const diffID = sha(tar);
  const ctx = makeContext({ root: path.join(base, 'mod', 'root'), runroot: path.join(base, 'mod', 'run') }, REPO, {});
  await importLayer(ctx, Readable.from([tar]), { what: 'layer', diffID });
  const f = path.join(layerDiffDir(ctx, diffID), 'etc/conf');
  fs.chmodSync(f, 0o644);
  fs.writeFileSync(f, 'a=2'); // same size: only the digest can tell
  await assert.rejects(collect(layerTarStream(ctx, diffID)), /does not match its diffID/);
});
