/**
 * Hostile and broken input: layer tarballs that try to escape their directory (fed through `load` of
 * hand-made docker-archives), corrupt archives, a registry that serves the wrong blob, a registry that is
 * down, malformed references, and an interrupted pull. Each must fail with a clear error, exit 125, and
 * leave nothing in the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { newStore, show, type Store } from './lib/conman.js';
import { sharedRegistry } from './lib/registry.js';
import { dockerArchive, getManifest, makeTar, nativeAddon, startProxy, storeImages, storeLayers, storeTmp, type TarMember } from './images-helpers.js';

const REG = sharedRegistry();

function assertNothingStored(s: Store): void {
  assert.deepEqual(storeImages(s.root), [], 'no image record');
  assert.deepEqual(storeLayers(s.root), [], 'no layer');
  assert.deepEqual(storeTmp(s.root), [], 'no temp leftovers');
}

async function loadLayer(s: Store, members: TarMember[], tag = 'localhost/hostile:1') {
  const layer = await makeTar(members);
  const file = path.join(path.dirname(s.root), `archive-${Math.random().toString(36).slice(2)}.tar`);
  fs.writeFileSync(file, await dockerArchive([layer], tag));
  return s.run(['load', '-i', file]);
}

test('hostile layers are refused and leave nothing behind', async (t) => {
  const cases: Array<{ name: string; members: (outside: string) => TarMember[]; member: RegExp }> = [
    { name: '../../etc/x', members: () => [{ name: '../../etc/x', data: 'pwned' }], member: /"\.\.\/\.\.\/etc\/x".*\.\./ },
    { name: 'dir/../../x', members: () => [{ name: 'dir/', type: 'directory' }, { name: 'dir/../../x', data: 'pwned' }], member: /"dir\/\.\.\/\.\.\/x"/ },
    {
      name: 'symlink then file through it (absolute target)',
      members: (outside) => [{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'evil/pwned', data: 'pwned' }],
      member: /"evil\/pwned".*symlink/,
    },
    {
      name: 'symlink then file through it (relative target)',
      members: () => [{ name: 'a/', type: 'directory' }, { name: 'a/up', type: 'symlink', linkname: '../../../../../../../../tmp' }, { name: 'a/up/pwned', data: 'x' }],
      member: /"a\/up\/pwned".*symlink/,
    },
    {
      name: 'symlink then directory through it',
      members: (outside) => [{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'evil/sub/', type: 'directory' }],
      member: /"evil\/sub\/".*symlink/,
    },
    {
      name: 'hard link to an absolute path outside',
      members: () => [{ name: 'passwd', type: 'link', linkname: '/etc/passwd' }],
      member: /"passwd".*does not exist in the layer/,
    },
    {
      name: 'hard link with .. target',
      members: () => [{ name: 'passwd', type: 'link', linkname: '../../../../etc/passwd' }],
      member: /"passwd".*\.\./,
    },
    {
      name: 'hard link to a symlink pointing outside',
      members: () => [{ name: 's', type: 'symlink', linkname: '/etc/passwd' }, { name: 'h', type: 'link', linkname: 's' }],
      member: /"h".*is a symlink/,
    },
    {
      name: 'hard link through a symlinked directory',
      members: () => [{ name: 'etc', type: 'symlink', linkname: '/etc' }, { name: 'h', type: 'link', linkname: 'etc/passwd' }],
      member: /"h".*symlink/,
    },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const s = newStore('hostile');
      const outside = fs.mkdtempSync(path.join(path.dirname(s.root), 'outside-'));
      const r = await loadLayer(s, c.members(outside));
      assert.equal(r.code, 125, show(r));
      assert.match(r.stderr, /hostile or corrupt layer member/);
      assert.match(r.stderr, c.member);
      assert.deepEqual(fs.readdirSync(outside), [], 'nothing written outside');
      assert.ok(!fs.existsSync(path.join(path.dirname(s.root), 'x')));
      assert.ok(!fs.existsSync('/tmp/pwned'));
      assertNothingStored(s);
    });
  }
});

test('a benign layer: whiteouts, opaque dirs, owners, modes, mtimes, links, xattrs, devices, absolute names', async () => {
  const s = newStore('benign');
  const mtime = new Date('2021-02-03T04:05:06Z');
  const r = await loadLayer(s, [
    { name: '/abs/file', data: 'stripped leading slash' },
    { name: 'bin/', type: 'directory', mode: 0o755, mtime },
    { name: 'bin/suid', data: '#!/bin/sh\n', mode: 0o4755, uid: 1234, gid: 5678, mtime },
    { name: 'bin/hard', type: 'link', linkname: 'bin/suid' },
    { name: 'bin/link', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'sticky/', type: 'directory', mode: 0o1777 },
    { name: 'gone/.wh.file', data: '' },
    { name: 'opaque/', type: 'directory' },
    { name: 'opaque/.wh..wh..opq', data: '' },
    { name: 'opaque/new', data: 'n' },
    { name: 'fifo', type: 'fifo', mode: 0o600 },
    { name: 'xattr', data: 'x', pax: { 'SCHILY.xattr.user.test': 'héllo ✓' } },
  ]);
  assert.equal(r.code, 0, show(r));
  const [img] = storeImages(s.root);
  const diff = path.join(s.root, 'images', 'layers', img!.layers[0]!.slice(7), 'diff');
  assert.equal(fs.readFileSync(path.join(diff, 'abs', 'file'), 'utf8'), 'stripped leading slash');
  const st = fs.statSync(path.join(diff, 'bin', 'suid'));
  assert.equal(st.mode & 0o7777, 0o4755, 'setuid survives chown');
  assert.equal(st.uid, 1234);
  assert.equal(st.gid, 5678);
  assert.equal(st.mtime.getTime(), mtime.getTime());
  assert.equal(fs.statSync(path.join(diff, 'bin')).mtime.getTime(), mtime.getTime(), 'directory mtime set after its content');
  assert.equal(fs.statSync(path.join(diff, 'bin', 'hard')).ino, st.ino, 'hard link');
  assert.equal(fs.readlinkSync(path.join(diff, 'bin', 'link')), '/etc/passwd');
  assert.equal(fs.statSync(path.join(diff, 'sticky')).mode & 0o7777, 0o1777);
  const wh = fs.lstatSync(path.join(diff, 'gone', 'file'));
  assert.ok(wh.isCharacterDevice(), 'whiteout is a char device');
  assert.equal(wh.rdev, 0);
  assert.ok(!fs.existsSync(path.join(diff, 'gone', '.wh.file')));
  assert.equal(nativeAddon().lgetxattr(path.join(diff, 'opaque'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.ok(!fs.existsSync(path.join(diff, 'opaque', '.wh..wh..opq')));
  assert.ok(fs.lstatSync(path.join(diff, 'fifo')).isFIFO());
  const xa = nativeAddon().lgetxattr(path.join(diff, 'xattr'), 'user.test');
  assert.ok(xa, 'user xattr set');
  assert.deepEqual(xa, Buffer.from('héllo ✓', 'utf8'), 'xattr bytes kept exactly');
  // and it can be saved again bit for bit: same diffID
  const out = path.join(path.dirname(s.root), 'resave.tar');
  const sv = s.run(['save', '-o', out, 'localhost/hostile:1']);
  assert.equal(sv.code, 0, show(sv));
});

test('corrupt and truncated archives and layers are refused', async () => {
  const s = newStore('corrupt');
  const dir = path.dirname(s.root);
  const good = await makeTar([{ name: 'a', data: 'x'.repeat(5000) }, { name: 'b', data: 'y'.repeat(5000) }]);
  // garbage instead of an archive
  fs.writeFileSync(path.join(dir, 'garbage.tar'), Buffer.from('this is not a tarball at all, not even close'.repeat(20)));
  let r = s.run(['load', '-i', path.join(dir, 'garbage.tar')]);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /corrupt archive|not a docker-archive/);
  assertNothingStored(s);
  // an archive cut in the middle
  const whole = await dockerArchive([good], 'localhost/trunc:1');
  fs.writeFileSync(path.join(dir, 'cut.tar'), whole.subarray(0, Math.floor(whole.length / 2)));
  r = s.run(['load', '-i', path.join(dir, 'cut.tar')]);
  assert.equal(r.code, 125, show(r));
  assertNothingStored(s);
  // a truncated gzip layer inside a valid archive
  const gz = zlib.gzipSync(good);
  const members: TarMember[] = [];
  const cfg = JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [`sha256:${(await import('node:crypto')).createHash('sha256').update(good).digest('hex')}`] } });
  members.push({ name: 'c.json', data: cfg }, { name: 'l.tar', data: gz.subarray(0, gz.length - 40) });
  members.push({ name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', RepoTags: ['localhost/trunc:1'], Layers: ['l.tar'] }]) });
  fs.writeFileSync(path.join(dir, 'tgz.tar'), await makeTar(members));
  r = s.run(['load', '-i', path.join(dir, 'tgz.tar')]);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /l\.tar/);
  assertNothingStored(s);
  // a layer whose content does not match the config's diffID
  fs.writeFileSync(path.join(dir, 'wrongdiff.tar'), await dockerArchive([good], 'localhost/trunc:1', { diffIDs: [`sha256:${'1'.repeat(64)}`] }));
  r = s.run(['load', '-i', path.join(dir, 'wrongdiff.tar')]);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /digest mismatch/);
  assertNothingStored(s);
  // a manifest.json pointing outside the archive
  fs.writeFileSync(
    path.join(dir, 'escape.tar'),
    await makeTar([{ name: 'manifest.json', data: JSON.stringify([{ Config: '../../../etc/passwd', RepoTags: [], Layers: [] }]) }]),
  );
  r = s.run(['load', '-i', path.join(dir, 'escape.tar')]);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /leaves the archive/);
  assertNothingStored(s);
  r = s.run(['load', '-i', path.join(dir, 'does-not-exist.tar')]);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /cannot read .*does-not-exist\.tar/);
});

test('a registry serving the wrong blob: EDIGEST, nothing stored', async () => {
  const { body } = await getManifest(REG, 'busybox', 'latest');
  const layerDigest = JSON.parse(body.toString()).layers[0].digest as string;
  // a perfectly valid gzip'd tar, just not the one the manifest names
  const other = zlib.gzipSync(await makeTar([{ name: 'bin/busybox', data: 'not busybox' }]));
  const proxy = await startProxy(REG, { replace: (p) => (p.endsWith(`/blobs/${layerDigest}`) ? other : undefined) });
  try {
    const s = newStore('wrongblob');
    const r = await s.runAsync(['pull', `${proxy.addr}/busybox:latest`]);
    assert.equal(r.code, 125, show(r));
    assert.match(r.stderr, new RegExp(`layer ${layerDigest}: digest mismatch`));
    assertNothingStored(s);
  } finally {
    await proxy.close();
  }
});

test('registry errors: unknown repo/tag, registry down, malformed references', () => {
  const s = newStore('regerr');
  let r = s.run(['pull', `${REG}/nope-${process.pid}:1`]);
  assert.equal(r.code, 125, show(r));
  assert.ok(r.stderr.split('\n').includes(`conman: pull ${REG}/nope-${process.pid}:1: manifest unknown (404)`), r.stderr);
  r = s.run(['pull', `${REG}/busybox:no-such-tag`]);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /manifest unknown \(404\)/);
  r = s.run(['pull', '127.0.0.1:1/busybox']);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /cannot reach registry 127\.0\.0\.1:1: connection refused/);
  for (const [ref, why] of [
    ['Upper/Case', /must be lowercase/],
    [`${REG}/busybox:bad!tag`, /bad tag/],
    [`${REG}/busybox@sha256:1234`, /64 lowercase hex/],
    [`${REG}/busybox@md5:abc`, /unsupported algorithm/],
    ['bad//name', /bad repository name component/],
    ['', /not enough|empty|invalid/],
  ] as const) {
    r = s.run(['pull', ref]);
    assert.equal(r.code, 125, `${ref}: ${show(r)}`);
    assert.match(r.stderr, why, ref);
  }
  assertNothingStored(s);
});

test('an interrupted pull leaves nothing half-made; the next pull completes', async () => {
  const { body } = await getManifest(REG, 'busybox', 'latest');
  const layerDigest = JSON.parse(body.toString()).layers[0].digest as string;
  const proxy = await startProxy(REG, { stall: (p) => p.endsWith(`/blobs/${layerDigest}`) });
  try {
    const s = newStore('interrupt');
    const { spawn } = await import('node:child_process');
    const { CONMAN } = await import('./lib/conman.js');
    const p = spawn(CONMAN, ['pull', '-q', `${proxy.addr}/busybox:latest`], { env: s.env, stdio: 'ignore' });
    // wait until the layer is being unpacked into a temp dir, then kill the pull
    for (let i = 0; i < 100 && !storeTmp(s.root).some((n) => n.startsWith('layer-')); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(storeTmp(s.root).some((n) => n.startsWith('layer-')), 'the pull was under way');
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
    assert.deepEqual(storeImages(s.root), []);
    assert.deepEqual(storeLayers(s.root), []);
    const r = s.run(['pull', '-q', `${REG}/busybox:latest`]);
    assert.equal(r.code, 0, show(r));
    assert.equal(storeImages(s.root).length, 1);
    assert.deepEqual(storeTmp(s.root), [], 'stale temp dir of the killed pull was cleaned');
    // Ctrl-C: the pull removes its temp dir itself and exits 130
    const s2 = newStore('interrupt2');
    const p2 = spawn(CONMAN, ['pull', '-q', `${proxy.addr}/busybox:latest`], { env: s2.env, stdio: 'ignore' });
    for (let i = 0; i < 100 && !storeTmp(s2.root).some((n) => n.startsWith('layer-')); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(storeTmp(s2.root).some((n) => n.startsWith('layer-')), 'the second pull was under way');
    p2.kill('SIGINT');
    const code = await new Promise((r) => p2.once('exit', (c) => r(c)));
    assert.equal(code, 130);
    assert.deepEqual(storeTmp(s2.root), []);
    assert.deepEqual(storeLayers(s2.root), []);
  } finally {
    await proxy.close();
  }
});

test('an image with the same layer twice: stored once, listed once for overlay (topmost), saved and loaded back', async () => {
  const s = newStore('duplayer');
  const a = await makeTar([{ name: 'a.txt', data: 'a' }]);
  const b = await makeTar([{ name: 'b.txt', data: 'b' }]);
  const file = path.join(path.dirname(s.root), 'dup.tar');
  fs.writeFileSync(file, await dockerArchive([a, b, a], 'localhost/dup:1'));
  let r = s.run(['load', '-i', file]);
  assert.equal(r.code, 0, show(r));
  const [img] = storeImages(s.root);
  assert.equal(img!.layers.length, 3);
  assert.equal(storeLayers(s.root).length, 2);
  const [j] = JSON.parse(s.run(['image', 'inspect', 'localhost/dup:1']).stdout);
  assert.match(j.GraphDriver.Data.UpperDir, new RegExp(`${img!.layers[0]!.slice(7)}/diff$`), 'the repeated layer sits at its topmost place');
  assert.equal(j.GraphDriver.Data.LowerDir.split(':').length, 1);
  r = s.run(['save', '-o', `${file}.out`, 'localhost/dup:1']);
  assert.equal(r.code, 0, show(r));
  s.run(['rmi', 'localhost/dup:1']);
  r = s.run(['load', '-i', `${file}.out`]);
  assert.equal(r.code, 0, show(r));
  assert.equal(storeImages(s.root)[0]!.id, img!.id);
});
