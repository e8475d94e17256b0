/**
 * The safe extractor (src/core/image/extract.ts) against hand-made tar streams: `..` paths, a write through
 * an absolute (or escaping) symlink, hard links out of the layer, whiteouts. It gets a recording stand-in for
 * the native addon, so nothing here needs root (mknod and trusted.* xattrs are what root would do).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tarStream, { type Header } from 'tar-stream';
import type { Native } from '../../src/base/native.js';
import { SafeExtractor, type TarHeader } from '../../src/core/image/extract.js';

/** What pack.entry() takes. */
type Headers = Partial<Header> & Pick<Header, 'name'>;

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'conman-unit-extract-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

type Entry = { header: Headers; body?: string | Buffer };

function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const e of entries) pack.entry(e.header, e.body ?? '');
  pack.finalize();
  return done;
}

interface Calls {
  mknod: Array<[string, number, number, number]>;
  xattr: Array<[string, string, string]>;
}

/** A root to extract into, beside a directory outside it that nothing may touch. */
function fresh(name: string): { root: string; outside: string; ext: SafeExtractor; calls: Calls } {
  const dir = fs.mkdtempSync(path.join(base, `${name}-`));
  const root = path.join(dir, 'root');
  const outside = path.join(dir, 'outside');
  fs.mkdirSync(root);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret'), 'keep');
  const calls: Calls = { mknod: [], xattr: [] };
  const nat = {
    mknod: (p: string, mode: number, major: number, minor: number) => {
      calls.mknod.push([p, mode, major, minor]);
      fs.writeFileSync(p, ''); // stands for the 0/0 char device
    },
    lsetxattr: (p: string, name: string, value: string | Buffer) => void calls.xattr.push([p, name, value.toString()]),
  } as unknown as Native;
  return { root, outside, ext: new SafeExtractor(root, nat), calls };
}

/** Runs a tar through the extractor the way layer-import.ts does; resolves, or rejects with its error. */
async function extract(ext: SafeExtractor, tar: Buffer): Promise<void> {
  const x = tarStream.extract();
  await new Promise<void>((resolve, reject) => {
    x.on('entry', (h, stream, next) => {
      ext.entry(h as TarHeader, stream as unknown as Readable).then(
        () => next(),
        (e: unknown) => {
          stream.resume();
          x.destroy(e as Error);
        },
      );
    });
    x.on('finish', resolve);
    x.on('error', reject);
    x.end(tar);
  });
  ext.finish();
}

const file = (name: string, body = 'x', mode = 0o644): Entry => ({ header: { name, type: 'file', mode, size: Buffer.byteLength(body) }, body });
const dir = (name: string): Entry => ({ header: { name, type: 'directory', mode: 0o755 } });
const symlink = (name: string, linkname: string): Entry => ({ header: { name, type: 'symlink', linkname } });
const hardlink = (name: string, linkname: string): Entry => ({ header: { name, type: 'link', linkname } });
const HOSTILE = /hostile or corrupt layer member/;

function untouched(outside: string): void {
  assert.deepEqual(fs.readdirSync(outside), ['secret']);
  assert.equal(fs.readFileSync(path.join(outside, 'secret'), 'utf8'), 'keep');
}

test('an ordinary layer: dirs, files, modes, symlinks, hard links, leading / and ./ stripped', async () => {
  const { root, ext } = fresh('plain');
  await extract(ext, await tarOf([dir('./etc/'), file('./etc/hosts', '127.0.0.1 localhost\n'), file('/bin/tool', '#!/bin/sh\n', 0o755), symlink('bin/sh', '/bin/busybox'), hardlink('etc/hosts2', 'etc/hosts'), file('empty', '')]));
  assert.equal(fs.readFileSync(path.join(root, 'etc/hosts'), 'utf8'), '127.0.0.1 localhost\n');
  assert.equal(fs.statSync(path.join(root, 'bin/tool')).mode & 0o777, 0o755);
  assert.equal(fs.readlinkSync(path.join(root, 'bin/sh')), '/bin/busybox');
  assert.equal(fs.statSync(path.join(root, 'etc/hosts2')).ino, fs.statSync(path.join(root, 'etc/hosts')).ino);
  // the files with content, in entry order (what tar-split's files.json lists)
  assert.deepEqual(ext.files, ['etc/hosts', 'bin/tool']);
});

test('a path with ".." is refused, nothing is written outside', async () => {
  for (const name of ['../outside/pwned', 'a/../../outside/pwned', '/../outside/pwned']) {
    const { outside, ext } = fresh('dotdot');
    await assert.rejects(extract(ext, await tarOf([file(name, 'evil')])), (e: Error) => HOSTILE.test(e.message) && /"\.\." component/.test(e.message), name);
    untouched(outside);
  }
});

test('an absolute symlink, then a write through it: refused, the target is untouched', async () => {
  const { root, outside, ext } = fresh('abslink');
  await assert.rejects(extract(ext, await tarOf([symlink('evil', outside), file('evil/secret', 'pwned')])), (e: Error) => HOSTILE.test(e.message) && /symlink/.test(e.message));
  untouched(outside);
  assert.equal(fs.readlinkSync(path.join(root, 'evil')), outside); // the link itself is harmless inside the layer
});

test('a relative symlink that escapes, then a directory and a file through it: refused', async () => {
  for (const through of [dir('up/newdir/'), file('up/outside/secret', 'pwned'), symlink('up/outside/l', '/')]) {
    const { outside, ext } = fresh('rellink');
    await assert.rejects(extract(ext, await tarOf([symlink('up', '..'), through])), /parent up is a symlink/);
    untouched(outside);
  }
});

test('a file over an existing symlink replaces the link, it does not write through it', async () => {
  const { root, outside, ext } = fresh('replace');
  await extract(ext, await tarOf([symlink('x', path.join(outside, 'secret')), file('x', 'mine')]));
  untouched(outside);
  assert.equal(fs.lstatSync(path.join(root, 'x')).isFile(), true);
  assert.equal(fs.readFileSync(path.join(root, 'x'), 'utf8'), 'mine');
});

test('hard links out of the layer are refused', async () => {
  const cases: Array<[Entry[], RegExp]> = [
    [[hardlink('hl', '../outside/secret')], /"\.\." component/],
    [[hardlink('hl', path.join('/', 'etc', 'passwd'))], /does not exist in the layer/], // absolute: taken inside the layer
    [[symlink('s', '/etc/passwd'), hardlink('hl', 's')], /is a symlink/],
    [[symlink('d', '/etc'), hardlink('hl', 'd/passwd')], /parent d is a symlink/],
    [[dir('d/'), hardlink('hl', 'd')], /is a directory/],
    [[hardlink('hl', '')], /hard link without target|hard link to the layer root/],
  ];
  for (const [entries, why] of cases) {
    const { root, outside, ext } = fresh('hardlink');
    await assert.rejects(extract(ext, await tarOf(entries)), (e: Error) => HOSTILE.test(e.message) && why.test(e.message), JSON.stringify(entries.map((e) => e.header.name)));
    untouched(outside);
    assert.equal(fs.existsSync(path.join(root, 'hl')), false);
  }
});

test('whiteouts become overlay whiteouts; an opaque dir gets its xattr; aufs metadata is skipped', async () => {
  const { root, ext, calls } = fresh('whiteout');
  await extract(ext, await tarOf([dir('d/'), file('d/gone', 'x'), dir('d/sub/'), file('d/sub/f', 'y'), file('d/.wh.gone'), file('d/.wh.sub'), dir('o/'), file('o/.wh..wh..opq'), file('.wh..wh.plnk')]));
  assert.deepEqual(calls.mknod.map(([p, mode, ma, mi]) => [path.relative(root, p), mode & 0o170000, ma, mi]), [['d/gone', 0o020000, 0, 0], ['d/sub', 0o020000, 0, 0]]);
  assert.equal(fs.lstatSync(path.join(root, 'd/sub')).isDirectory(), false); // the directory was removed first
  assert.deepEqual(calls.xattr.map(([p, n, v]) => [path.relative(root, p), n, v]), [['o', 'trusted.overlay.opaque', 'y']]);
  assert.equal(fs.existsSync(path.join(root, '.wh..wh.plnk')), false);
  for (const bad of ['.wh.', 'd/.wh..', 'd/.wh...']) {
    const f = fresh('badwh');
    await assert.rejects(extract(f.ext, await tarOf([dir('d/'), file(bad)])), /bad whiteout|"\.\." component/, bad);
  }
});

test("a layer's own trusted.overlay.* xattrs are dropped, others kept", async () => {
  const { ext, calls } = fresh('xattr');
  const pax = { 'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.user.note': 'hi' };
  await extract(ext, await tarOf([{ header: { name: 'f', type: 'file', size: 1, mode: 0o644, pax }, body: 'z' }]));
  assert.deepEqual(calls.xattr.map(([, n, v]) => [n, v]), [['user.note', 'hi']]);
});

test('names with NUL and unsupported entry types are refused', async () => {
  const { ext } = fresh('types');
  assert.throws(() => ext.clean('a\0b'), /NUL in name/);
  const f = fresh('types2');
  await assert.rejects(
    f.ext.entry({ name: 'weird', type: 'gnu-sparse' } as TarHeader, (await import('node:stream')).Readable.from([])),
    /unsupported tar entry type/,
  );
});
