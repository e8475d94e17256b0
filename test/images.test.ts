/**
 * Image commands against the suite's real registry: pull (gzip, zstd, manifest lists, shared layers,
 * short names through registries.conf), images/inspect/tag/rmi/prune, save/load round trips and
 * archives written by skopeo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { newStore, show } from './lib/conman.js';
import { buildImage, sharedRegistry } from './lib/registry.js';
import { testTmp } from './lib/tmp.js';
import { getManifest, putManifest, run, sha256, startProxy, storeImages, storeLayers, storeTmp } from './images-helpers.js';

const REG = sharedRegistry();
const uniq = `imgt${process.pid}`;

test('pull busybox: id on stdout, image listed, layers unpacked as files', () => {
  const s = newStore('pull');
  const r = s.run(['pull', `${REG}/busybox:latest`]);
  assert.equal(r.code, 0, show(r));
  const id = r.stdout.trim().split('\n').pop()!;
  assert.match(id, /^[a-f0-9]{64}$/);
  const imgs = storeImages(s.root);
  assert.equal(imgs.length, 1);
  assert.equal(imgs[0]!.id, id);
  assert.deepEqual(imgs[0]!.names, [`${REG}/busybox:latest`]);
  // the config blob is what the id says it is
  const cfg = fs.readFileSync(path.join(s.root, 'images', 'blobs', 'sha256', id));
  assert.equal(sha256(cfg), `sha256:${id}`);
  const diff = path.join(s.root, 'images', 'layers', imgs[0]!.layers[0]!.slice(7), 'diff');
  assert.ok(fs.statSync(path.join(diff, 'bin', 'busybox')).mode & 0o111, 'busybox is executable');
  assert.equal(fs.readlinkSync(path.join(diff, 'bin', 'sh')), 'busybox');
  const ls = s.run(['images']);
  assert.equal(ls.code, 0, show(ls));
  assert.match(ls.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
  assert.match(ls.stdout, new RegExp(`${REG}/busybox\\s+latest\\s+${id.slice(0, 12)}\\s+.+ago\\s+[\\d.]+ [kM]B\\n`));
  const q = s.run(['images', '-q']);
  assert.equal(q.stdout, `${id.slice(0, 12)}\n`);
  const nt = s.run(['images', '--no-trunc']);
  assert.match(nt.stdout, new RegExp(`sha256:${id}`));
  const js = JSON.parse(s.run(['images', '--format', 'json']).stdout);
  assert.equal(js[0].Id, id);
  assert.deepEqual(js[0].RepoTags, [`${REG}/busybox:latest`]);
  const tpl = s.run(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.equal(tpl.stdout, `${REG}/busybox:latest\n`);
  // -q prints only the id; a second pull of the same image is a no-op that prints the same id
  const again = s.run(['pull', '-q', `${REG}/busybox`]);
  assert.equal(again.code, 0, show(again));
  assert.equal(again.stdout, `${id}\n`);
  assert.deepEqual(storeTmp(s.root), []);
});

test('image inspect prints podman fields', () => {
  const s = newStore('inspect');
  const id = s.run(['pull', '-q', `${REG}/busybox`]).stdout.trim();
  const r = s.run(['image', 'inspect', `${REG}/busybox`]);
  assert.equal(r.code, 0, show(r));
  const [j] = JSON.parse(r.stdout);
  assert.equal(j.Id, id);
  assert.match(j.Digest, /^sha256:[a-f0-9]{64}$/);
  assert.deepEqual(j.RepoTags, [`${REG}/busybox:latest`]);
  assert.equal(j.RepoDigests[0], `${REG}/busybox@${j.Digest}`);
  assert.deepEqual(j.Config.Cmd, ['sh']);
  assert.ok(j.Config.Env.includes('PATH=/usr/sbin:/usr/bin:/sbin:/bin'));
  assert.equal(j.Architecture, 'amd64');
  assert.equal(j.Os, 'linux');
  assert.equal(j.RootFS.Type, 'layers');
  assert.equal(j.RootFS.Layers.length, 1);
  assert.ok(j.Size > 1_000_000);
  // by short id and by digest too
  assert.equal(JSON.parse(s.run(['image', 'inspect', id.slice(0, 8)]).stdout)[0].Id, id);
  assert.equal(JSON.parse(s.run(['image', 'inspect', `${REG}/busybox@${j.Digest}`]).stdout)[0].Id, id);
  const miss = s.run(['image', 'inspect', `${REG}/${uniq}-none`]);
  assert.equal(miss.code, 125, show(miss));
  assert.match(miss.stderr, /image not known/);
});

test('zstd-compressed layers are pulled', () => {
  buildImage(REG, `${uniq}-zstd`, '1', { compress: 'zstd' });
  const { body } = getManifestSync(REG, `${uniq}-zstd`, '1');
  assert.match(body, /tar\+zstd/, 'the pushed image really has a zstd layer');
  const s = newStore('zstd');
  const r = s.run(['pull', '-q', `${REG}/${uniq}-zstd:1`]);
  assert.equal(r.code, 0, show(r));
  const [img] = storeImages(s.root);
  assert.ok(fs.existsSync(path.join(s.root, 'images', 'layers', img!.layers[0]!.slice(7), 'diff', 'bin', 'busybox')));
});

function getManifestSync(addr: string, repo: string, ref: string): { body: string } {
  const out = run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${addr}/${repo}:${ref}`]);
  return { body: out };
}

test('a manifest list: the linux/amd64 image is chosen, --platform picks another', async () => {
  const repo = `${uniq}-multi`;
  buildImage(REG, repo, 'amd', { config: ['--architecture', 'amd64', '--config.cmd', 'amd'] });
  buildImage(REG, repo, 'arm', { config: ['--architecture', 'arm64', '--config.cmd', 'arm'] });
  const amd = await getManifest(REG, repo, 'amd');
  const arm = await getManifest(REG, repo, 'arm');
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: arm.mediaType, digest: sha256(arm.body), size: arm.body.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: amd.mediaType, digest: sha256(amd.body), size: amd.body.length, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  };
  const ib = Buffer.from(JSON.stringify(index));
  await putManifest(REG, repo, 'multi', ib, index.mediaType);
  const amdCfg = JSON.parse(amd.body.toString()).config.digest.slice(7);
  const armCfg = JSON.parse(arm.body.toString()).config.digest.slice(7);
  const s = newStore('multi');
  const r = s.run(['pull', '-q', `${REG}/${repo}:multi`]);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout.trim(), amdCfg);
  const [j] = JSON.parse(s.run(['image', 'inspect', `${REG}/${repo}:multi`]).stdout);
  assert.deepEqual(j.Config.Cmd, ['amd']);
  assert.ok(j.RepoDigests.includes(`${REG}/${repo}@${sha256(ib)}`), 'the list digest is a repo digest');
  const s2 = newStore('multi-arm');
  const r2 = s2.run(['pull', '-q', '--platform', 'linux/arm64', `${REG}/${repo}:multi`]);
  assert.equal(r2.code, 0, show(r2));
  assert.equal(r2.stdout.trim(), armCfg);
  const r3 = s2.run(['pull', '-q', '--platform', 'linux/s390x', `${REG}/${repo}:multi`]);
  assert.equal(r3.code, 125, show(r3));
  assert.match(r3.stderr, /no image for linux\/s390x/);
});

test('layers are shared: the second image downloads only its new layer', async () => {
  const base = buildImage(REG, `${uniq}-sharea`, '1');
  // image B = image A's layer + one more, built from the same OCI layout
  const work = fs.mkdtempSync(path.join(testTmp(), 'share-'));
  const bundle = path.join(work, 'bundle');
  run('umoci', ['unpack', '--image', `${base}:1`, bundle]);
  fs.writeFileSync(path.join(bundle, 'rootfs', 'extra.txt'), 'extra layer\n');
  run('umoci', ['repack', '--image', `${base}:2`, bundle]);
  run('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${base}:2`, `docker://${REG}/${uniq}-shareb:1`]);
  const proxy = await startProxy(REG);
  try {
    const s = newStore('share');
    const a = await s.runAsync(['pull', '-q', `${proxy.addr}/${uniq}-sharea:1`]);
    assert.equal(a.code, 0, show(a));
    const mb = JSON.parse((await getManifest(REG, `${uniq}-shareb`, '1')).body.toString());
    assert.equal(mb.layers.length, 2);
    proxy.requests.length = 0;
    const b = await s.runAsync(['pull', '-q', `${proxy.addr}/${uniq}-shareb:1`]);
    assert.equal(b.code, 0, show(b));
    const layerGets = proxy.requests.filter((q) => q.startsWith('GET') && mb.layers.some((l: { digest: string }) => q.endsWith(`/blobs/${l.digest}`)));
    assert.deepEqual(layerGets, [`GET /v2/${uniq}-shareb/blobs/${mb.layers[1].digest}`]);
    const imgs = storeImages(s.root);
    assert.equal(imgs.length, 2);
    const [ia, ib] = [imgs.find((i) => i.names[0]!.includes('sharea'))!, imgs.find((i) => i.names[0]!.includes('shareb'))!];
    assert.equal(ib.layers[0], ia.layers[0]);
    assert.equal(storeLayers(s.root).length, 2);
    // the compressed-digest → diffID index knows both blobs
    mb.layers.forEach((l: { digest: string }, i: number) =>
      assert.equal(path.basename(fs.readlinkSync(path.join(s.root, 'images', 'digests', l.digest.slice(7)))), ib.layers[i]!.slice(7)),
    );
    // removing A keeps the shared layer (B needs it); removing B then frees everything
    assert.equal(s.run(['rmi', `${proxy.addr}/${uniq}-sharea:1`]).code, 0);
    assert.equal(storeLayers(s.root).length, 2);
    assert.ok(fs.existsSync(path.join(s.root, 'images', 'layers', ib.layers[0]!.slice(7), 'diff', 'bin', 'busybox')));
    assert.equal(s.run(['rmi', `${proxy.addr}/${uniq}-shareb:1`]).code, 0);
    assert.deepEqual(storeLayers(s.root), []);
    assert.deepEqual(fs.readdirSync(path.join(s.root, 'images', 'digests')), []);
  } finally {
    await proxy.close();
  }
});

test('tag, rmi (untag, by id, in use, -f) and prune', () => {
  const s = newStore('tagrmi');
  const id = s.run(['pull', '-q', `${REG}/busybox`]).stdout.trim();
  let r = s.run(['tag', `${REG}/busybox`, `${uniq}-t1`, `${REG}/${uniq}-t2:v2`]);
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(storeImages(s.root)[0]!.names.sort(), [`${REG}/busybox:latest`, `${REG}/${uniq}-t2:v2`, `localhost/${uniq}-t1:latest`].sort());
  r = s.run(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
  assert.match(r.stdout, new RegExp(`localhost/${uniq}-t1:latest ${id.slice(0, 12)}`));
  r = s.run(['tag', `${REG}/busybox`, 'Bad:Name']);
  assert.equal(r.code, 125, show(r));
  r = s.run(['tag', `${uniq}-missing`, 'x']);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /image not known/);
  // untag by name, image stays
  r = s.run(['rmi', `${uniq}-t1`]);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, new RegExp(`Untagged: localhost/${uniq}-t1:latest`));
  assert.equal(storeImages(s.root).length, 1);
  // by id with several names needs -f
  r = s.run(['rmi', id.slice(0, 12)]);
  assert.equal(r.code, 2, show(r));
  // an image a container uses is refused without -f
  const cdir = path.join(s.root, 'containers', 'c0ffee');
  fs.mkdirSync(cdir, { recursive: true });
  fs.writeFileSync(path.join(cdir, 'container.json'), JSON.stringify({ id: 'c0ffee', name: `${uniq}-ctr`, image: { id, name: 'x' } }));
  r = s.run(['rmi', `${REG}/${uniq}-t2:v2`]);
  assert.equal(r.code, 0, show(r)); // untag of one of two names is fine
  r = s.run(['rmi', `${REG}/busybox`]);
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, new RegExp(`in use by container\\(s\\) ${uniq}-ctr`));
  r = s.run(['image', 'prune', '-a', '-f']);
  assert.equal(r.code, 0, show(r));
  assert.equal(storeImages(s.root).length, 1, 'prune -a keeps images in use');
  r = s.run(['image', 'rm', '-f', `${REG}/busybox`]);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, new RegExp(`Deleted: ${id}`));
  assert.deepEqual(storeImages(s.root), []);
  assert.deepEqual(storeLayers(s.root), []);
  assert.deepEqual(fs.readdirSync(path.join(s.root, 'images', 'blobs', 'sha256')), []);
  r = s.run(['rmi', `${REG}/busybox`]);
  assert.equal(r.code, 1, show(r));
  assert.match(r.stderr, /image not known/);
  fs.rmSync(path.join(s.root, 'containers'), { recursive: true });
  // prune: dangling (no names) images go, named ones stay
  s.run(['pull', '-q', `${REG}/busybox`]);
  s.run(['pull', '-q', `${REG}/${uniq}-zstd:1`]).code === 0 || buildImage(REG, `${uniq}-zstd`, '1', { compress: 'zstd' });
  s.run(['pull', '-q', `${REG}/${uniq}-zstd:1`]);
  s.run(['tag', `${REG}/busybox`, `${REG}/${uniq}-zstd:1`]); // moves the name: the zstd image is now dangling
  const before = storeImages(s.root);
  assert.equal(before.length, 2);
  const dangling = before.find((i) => i.names.length === 0)!;
  assert.ok(dangling);
  assert.match(s.run(['images']).stdout, /<none>\s+<none>/);
  r = s.run(['image', 'prune', '-f']);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout, `${dangling.id}\n`);
  assert.equal(storeImages(s.root).length, 1);
  r = s.run(['image', 'prune', '-a'], { input: 'n\n' });
  assert.equal(storeImages(s.root).length, 1, 'prune without -f asks, "n" keeps');
  r = s.run(['image', 'prune', '-a'], { input: 'y\n' });
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(storeImages(s.root), []);
});

test('save and load round trip (docker-archive and oci-archive) keep id and config', () => {
  const s = newStore('save');
  const id = s.run(['pull', '-q', `${REG}/busybox`]).stdout.trim();
  const inspect = () => JSON.parse(s.run(['image', 'inspect', `${REG}/busybox`]).stdout)[0];
  const before = inspect();
  for (const format of ['docker-archive', 'oci-archive']) {
    const file = path.join(path.dirname(s.root), `bb-${format}.tar`);
    let r = s.run(['save', '--format', format, '-o', file, `${REG}/busybox`]);
    assert.equal(r.code, 0, show(r));
    const members = run('tar', ['tf', file]).split('\n');
    assert.ok(members.includes(format === 'docker-archive' ? 'manifest.json' : 'index.json'), members.join(','));
    r = s.run(['rmi', `${REG}/busybox`]);
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(storeLayers(s.root), []);
    r = s.run(['load', '-i', file]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`Loaded image: ${REG}/busybox:latest`));
    const after = inspect();
    assert.equal(after.Id, id);
    assert.deepEqual(after.Config, before.Config);
    assert.deepEqual(after.RootFS, before.RootFS);
    // skopeo can read what we wrote
    const out = run('skopeo', ['inspect', '--config', `${format}:${file}`]);
    assert.equal(sha256(JSON.stringify(JSON.parse(out))).length, 71);
  }
  // load from stdin too
  const file = path.join(path.dirname(s.root), 'bb-docker-archive.tar');
  s.run(['rmi', `${REG}/busybox`]);
  const r = s.run(['load'], { input: fs.readFileSync(file) });
  assert.equal(r.code, 0, show(r));
  assert.equal(storeImages(s.root)[0]!.id, id);
  assert.deepEqual(storeTmp(s.root), []);
});

test('load archives written by skopeo (docker-archive and oci-archive)', () => {
  const s = newStore('skopeo');
  const dir = path.dirname(s.root);
  const id = s.run(['pull', '-q', `${REG}/busybox`]).stdout.trim();
  const s2 = newStore('skopeo2');
  run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${REG}/busybox:latest`, `docker-archive:${dir}/d.tar:${uniq}/dock:1`]);
  let r = s2.run(['load', '-i', `${dir}/d.tar`]);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, new RegExp(`Loaded image: docker.io/${uniq}/dock:1`));
  assert.equal(storeImages(s2.root)[0]!.id, id);
  run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${REG}/busybox:latest`, `oci-archive:${dir}/o.tar:${REG}/${uniq}-oci:2`]);
  r = s2.run(['load', '-q', '-i', `${dir}/o.tar`]);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, new RegExp(`Loaded image: ${REG}/${uniq}-oci:2`));
  const imgs = storeImages(s2.root);
  assert.equal(imgs.length, 1, 'same image, one record');
  assert.deepEqual(imgs[0]!.names.sort(), [`docker.io/${uniq}/dock:1`, `${REG}/${uniq}-oci:2`].sort());
  // the oci-archive layer is gzip-compressed (as in the registry) and its digest is verified on load
  const idx = JSON.parse(run('tar', ['xOf', `${dir}/o.tar`, 'index.json']));
  assert.equal(idx.manifests.length, 1);
});

test('short names resolve through unqualified-search-registries', () => {
  const s = newStore('short');
  const conf = path.join(path.dirname(s.root), 'registries.conf');
  fs.writeFileSync(conf, `unqualified-search-registries = ["127.0.0.1:1", "${REG}"]\n\n[[registry]]\nlocation = "${REG}"\ninsecure = true\n`);
  const r = s.run(['pull', '-q', 'busybox'], { env: { CONMAN_REGISTRIES_CONF: conf } });
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(storeImages(s.root)[0]!.names, [`${REG}/busybox:latest`]);
  // the short name finds the image locally too
  const i = s.run(['image', 'inspect', 'busybox']);
  assert.equal(i.code, 0, show(i));
  fs.writeFileSync(conf, 'unqualified-search-registries = "not a list"\n');
  const bad = s.run(['pull', 'busybox'], { env: { CONMAN_REGISTRIES_CONF: conf } });
  assert.equal(bad.code, 125, show(bad));
  assert.match(bad.stderr, /unqualified-search-registries must be a list/);
});

test('pull by digest: verified, listed with its repository, not dangling, removable by digest', async () => {
  const { body } = await getManifest(REG, 'busybox', 'latest');
  const digest = sha256(body);
  const s = newStore('bydigest');
  let r = s.run(['pull', '-q', `${REG}/busybox@${digest}`]);
  assert.equal(r.code, 0, show(r));
  const [img] = storeImages(s.root);
  assert.deepEqual(img!.names, []);
  assert.match(s.run(['images']).stdout, new RegExp(`${REG}/busybox\\s+<none>\\s+${img!.id.slice(0, 12)}`));
  r = s.run(['image', 'prune', '-f']);
  assert.equal(r.code, 0, show(r));
  assert.equal(storeImages(s.root).length, 1, 'an image pulled by digest is not dangling');
  r = s.run(['rmi', `${REG}/busybox@${digest}`]);
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(storeImages(s.root), []);
  // a digest that does not match what the registry serves is refused
  r = s.run(['pull', '-q', `${REG}/busybox@sha256:${'ab'.repeat(32)}`]);
  assert.equal(r.code, 125, show(r));
  assert.deepEqual(storeImages(s.root), []);
});

test('Docker schema2 media types are pulled like OCI ones', () => {
  run('skopeo', ['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', '--format', 'v2s2', `docker://${REG}/busybox:latest`, `docker://${REG}/${uniq}-v2s2:1`]);
  const raw = getManifestSync(REG, `${uniq}-v2s2`, '1').body;
  assert.match(raw, /application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
  const s = newStore('v2s2');
  const r = s.run(['pull', '-q', `${REG}/${uniq}-v2s2:1`]);
  assert.equal(r.code, 0, show(r));
  const [j] = JSON.parse(s.run(['image', 'inspect', `${REG}/${uniq}-v2s2:1`]).stdout);
  assert.deepEqual(j.Config.Cmd, ['sh']);
});

test('concurrent pulls into one store: all succeed, each layer stored once', async () => {
  const s = newStore('concurrent');
  const results = await Promise.all([
    s.runAsync(['pull', '-q', `${REG}/busybox`]),
    s.runAsync(['pull', '-q', `${REG}/busybox`]),
    s.runAsync(['pull', '-q', `${REG}/busybox:latest`]),
  ]);
  for (const r of results) assert.equal(r.code, 0, show(r));
  assert.equal(new Set(results.map((r) => r.stdout)).size, 1);
  const imgs = storeImages(s.root);
  assert.equal(imgs.length, 1);
  assert.deepEqual(storeLayers(s.root), imgs[0]!.layers.map((l) => l.slice(7)));
  assert.deepEqual(storeTmp(s.root), []);
});
