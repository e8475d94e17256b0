/**
 * The layer pipeline's parts against hand-made tar streams, without root, runc or a registry: the
 * tar-split record rebuilds the exact tar it was taken from, and the safe extractor refuses members that
 * would write outside its root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import type { Context } from '../../src/base/context.js';
import type { Native } from '../../src/base/native.js';
import { ConmanError } from '../../src/base/errors.js';
import { Decompressor } from '../../src/core/image/decompress.js';
import { SafeExtractor, type TarHeader } from '../../src/core/image/extract.js';
import { TarTap, layerTarStream } from '../../src/core/image/tar-split.js';
import { layerDir, layerDiffDir, layerMetaFile } from '../../src/storage/layout.js';

/** The extractor needs the addon only for devices, whiteouts and xattrs: none of which these tars use. */
const noNative = { lsetxattr() {}, mknod() {} } as unknown as Native;

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'conman-unit-'));
}

type Member = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; data?: string; linkname?: string; pax?: Record<string, string> };

async function makeTar(members: Member[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const ended = new Promise<void>((r) => pack.on('end', () => r()));
  for (const m of members) {
    const data = Buffer.from(m.data ?? '');
    const type = m.type ?? 'file';
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        { name: m.name, type, mode: type === 'directory' ? 0o755 : 0o644, mtime: new Date(1_000_000_000_000), linkname: m.linkname, pax: m.pax, size: data.length },
        data,
        (e) => (e ? reject(e) : resolve()),
      ),
    );
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** Runs a tar through the import's tap and extractor into `root`; returns the tap. */
async function unpack(tar: Buffer, root: string, extractor = new SafeExtractor(root, noNative)): Promise<{ tap: TarTap; ext: SafeExtractor }> {
  const tap = new TarTap();
  const extract = tarStream.extract();
  extract.on('entry', (h, stream, next) => {
    extractor.entry(h as TarHeader, stream as unknown as Readable, tap.entryXattrs.shift() ?? null).then(
      () => next(),
      (e: unknown) => {
        stream.resume();
        extract.destroy(e as Error);
      },
    );
  });
  await pipeline(Readable.from([tar]), new Decompressor(), tap, extract);
  extractor.finish();
  return { tap, ext: extractor };
}

test('tar-split: the record and the unpacked files rebuild the exact tar (same diffID)', async () => {
  const long = `${'d'.repeat(120)}/f`;
  const tar = await makeTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/hostname', data: 'box\n' },
    { name: 'etc/empty', data: '' },
    { name: 'etc/link', type: 'symlink', linkname: 'hostname' },
    { name: 'etc/hard', type: 'link', linkname: 'etc/hostname' },
    { name: long, data: 'x'.repeat(70_000), pax: { 'SCHILY.xattr.user.note': 'hello' } },
  ]);
  const diffID = `sha256:${crypto.createHash('sha256').update(tar).digest('hex')}`;
  const root = tmp();
  try {
    const ctx = { root } as Context;
    fs.mkdirSync(layerDiffDir(ctx, diffID), { recursive: true });
    const { tap, ext } = await unpack(await gz(tar), layerDiffDir(ctx, diffID));
    assert.equal(tap.digest(), diffID);
    assert.equal(tap.bytes, tar.length);
    assert.equal(tap.fileCount, ext.files.length, 'every file with content is referenced once');
    assert.equal(fs.readFileSync(path.join(layerDiffDir(ctx, diffID), 'etc/hostname'), 'utf8'), 'box\n');
    assert.equal(fs.readlinkSync(path.join(layerDiffDir(ctx, diffID), 'etc/link')), 'hostname');
    // what importLayer writes beside diff/
    fs.writeFileSync(path.join(layerDir(ctx, diffID), 'tar-split.gz'), zlib.gzipSync(Buffer.concat(tap.records)));
    fs.writeFileSync(path.join(layerDir(ctx, diffID), 'files.json'), JSON.stringify(ext.files));
    fs.writeFileSync(layerMetaFile(ctx, diffID), JSON.stringify({ diffID, compressedDigests: [], size: tar.length, created: '', tarSplit: true }));
    const chunks: Buffer[] = [];
    for await (const c of layerTarStream(ctx, diffID)) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(tar), 'rebuilt tar differs from the original');
    // a modified file is caught by the diffID check at the end
    fs.writeFileSync(path.join(layerDiffDir(ctx, diffID), 'etc/hostname'), 'BOX\n');
    await assert.rejects(async () => {
      for await (const _ of layerTarStream(ctx, diffID));
    }, (e: unknown) => e instanceof ConmanError && e.code === 'EDIGEST');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

function gz(b: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => zlib.gzip(b, (e, r) => (e ? reject(e) : resolve(r))));
}

/** Unpacks into DIR/root a tar made for DIR (so that members can aim at it) and expects ELAYER. */
async function refused(members: Member[] | ((dir: string) => Member[]), why: RegExp): Promise<void> {
  const dir = tmp();
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  try {
    const tar = await makeTar(typeof members === 'function' ? members(dir) : members);
    await assert.rejects(unpack(tar, root), (e: unknown) => e instanceof ConmanError && e.code === 'ELAYER' && why.test(e.message));
    assert.deepEqual(fs.readdirSync(dir), ['root'], 'nothing written beside the root');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('safe extractor: members that would leave the root are refused', async () => {
  await refused([{ name: '../escaped', data: 'x' }], /"\.\." component/);
  await refused([{ name: 'a/../../escaped', data: 'x' }], /"\.\." component/);
  await refused([{ name: 'up', type: 'symlink', linkname: '..' }, { name: 'up/escaped', data: 'x' }], /parent up is a symlink/);
  await refused((dir) => [{ name: 'out', type: 'symlink', linkname: dir }, { name: 'out/escaped', data: 'x' }], /parent out is a symlink/);
  await refused([{ name: 'f', data: 'x' }, { name: 'f/g', data: 'x' }], /parent f is not a directory/);
  await refused([{ name: 'h', type: 'link', linkname: '../outside' }], /"\.\." component/);
  await refused([{ name: 's', type: 'symlink', linkname: '/etc/passwd' }, { name: 'h', type: 'link', linkname: 's' }], /hard link target s is a symlink/);
  await refused([{ name: 'h', type: 'link', linkname: 'missing' }], /does not exist in the layer/);
});

test('safe extractor: a leading "/" is stripped, and a symlink is replaced, never written through', async () => {
  const dir = tmp();
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  try {
    const outside = path.join(dir, 'escaped');
    await unpack(await makeTar([{ name: '/abs', data: 'a' }, { name: 'p', type: 'symlink', linkname: outside }, { name: 'p', data: 'b' }]), root);
    assert.equal(fs.readFileSync(path.join(root, 'abs'), 'utf8'), 'a');
    assert.equal(fs.lstatSync(path.join(root, 'p')).isFile(), true);
    assert.equal(fs.readFileSync(path.join(root, 'p'), 'utf8'), 'b');
    assert.deepEqual(fs.readdirSync(dir), ['root'], 'nothing written beside the root');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
