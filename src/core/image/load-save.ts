/**
 * `save` and `load`: docker-archive (manifest.json + config + layer tars, as `docker save` and
 * `skopeo copy ... docker-archive:` write) and oci-archive (an OCI image layout in a tar, as
 * `skopeo copy ... oci-archive:` writes), both ways. Layers are written uncompressed, rebuilt from the
 * layer store's tar-split records so their diffIDs (and so the image id) stay the same.
 * Load unpacks the archive into a temp dir under <root>/tmp (with the same safe extractor as layers),
 * verifies every digest, and imports layers the store does not have yet.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from '../../base/context.js';
import { ConmanError, describeError } from '../../base/errors.js';
import { native } from '../../base/native.js';
import { writeFileAtomicSync } from '../../storage/atomic.js';
import { blobsDir, blobPath } from '../../storage/layout.js';
import { getImage, imageConfig, updateImages, type ImageConfig } from './store.js';
import { Decompressor } from './decompress.js';
import { SafeExtractor } from './extract.js';
import { hasLayer, readLayerMeta } from './layers.js';
import { importLayer } from './layer-import.js';
import { layerTarStream } from './tar-split.js';
import { cleanStaleTemp, hookInterrupt, makeTemp, takeLease } from './temp.js';
import { MT } from './registry.js';
import { parseReference, repoName } from './reference.js';
import { choosePlatform, type Descriptor, type Manifest } from './pull.js';
import type { OnProgress } from './progress-events.js';
import { type ImageRecord } from '../../storage/images.js';

const sha256 = (b: Buffer | string) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

type Pack = import('tar-stream').Pack;

async function addBuffer(pack: Pack, name: string, data: Buffer | string): Promise<void> {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  await new Promise<void>((resolve, reject) => pack.entry({ name, size: buf.length, mode: 0o644, mtime: new Date(0) }, buf, (e) => (e ? reject(e) : resolve())));
}

async function addStream(pack: Pack, name: string, size: number, src: Readable): Promise<void> {
  let done!: (e?: Error | null) => void;
  const finished = new Promise<void>((resolve, reject) => (done = (e) => (e ? reject(e) : resolve())));
  const entry = pack.entry({ name, size, mode: 0o644, mtime: new Date(0) }, (e) => done(e));
  const ee = entry as unknown as NodeJS.EventEmitter & { write(c: Buffer): boolean; end(): void; destroy(e?: Error): void };
  try {
    for await (const c of src) if (!ee.write(c as Buffer)) await once(ee, 'drain');
  } catch (e) {
    ee.destroy(e as Error);
    throw e;
  }
  ee.end();
  await finished;
}

export interface SaveOptions {
  output?: string;
  format: 'docker-archive' | 'oci-archive';
}

export async function saveArchive(ctx: Context, refs: string[], opts: SaveOptions): Promise<void> {
  const imgs: Array<{ img: ImageRecord; cfg: ImageConfig; cfgBuf: Buffer; names: string[] }> = [];
  for (const r of refs) {
    const img = await getImage(ctx, r);
    const { nameOf } = await import('./ops.js');
    const named = nameOf([img], r, img);
    const names = named ? [named] : img.names;
    const cfgBuf = fs.readFileSync(blobPath(ctx, img.id));
    imgs.push({ img, cfg: await imageConfig(ctx, img), cfgBuf, names });
  }
  for (const { img } of imgs)
    for (const l of img.layers) if (!readLayerMeta(ctx, l)?.tarSplit) throw new ConmanError('ESTATE', `cannot save ${img.id.slice(0, 12)}: layer ${l} cannot be exported`);
  if (!opts.output && process.stdout.isTTY)
    throw new ConmanError('EUSAGE', 'refusing to write an archive to a terminal', { hint: 'use -o FILE or redirect stdout' });
  const tarStream = await import('tar-stream');
  const pack = tarStream.pack();
  const tmp = opts.output ? `${opts.output}.conman-tmp-${process.pid}` : undefined;
  let fd: number | undefined;
  if (tmp) {
    try {
      fd = fs.openSync(tmp, 'w', 0o644);
    } catch (e) {
      throw new ConmanError('EINVAL', `save: cannot write ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? describeError(e)}`);
    }
  }
  const out = fd !== undefined ? fs.createWriteStream('', { fd, highWaterMark: 1 << 20 }) : process.stdout;
  const writing = pipeline(pack as unknown as Readable, out);
  writing.catch(() => {}); // awaited below; never an unhandled rejection
  try {
    const written = new Set<string>();
    if (opts.format === 'docker-archive') {
      const manifest: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
      for (const { img, cfgBuf, names } of imgs) {
        const cfgName = `${img.id}.json`;
        if (!written.has(cfgName)) await addBuffer(pack, cfgName, cfgBuf), written.add(cfgName);
        const layers: string[] = [];
        for (const l of img.layers) {
          const n = `${l.slice(7)}.tar`;
          layers.push(n);
          if (written.has(n)) continue;
          written.add(n);
          await addStream(pack, n, readLayerMeta(ctx, l)!.size, layerTarStream(ctx, l));
        }
        manifest.push({ Config: cfgName, RepoTags: names, Layers: layers });
      }
      await addBuffer(pack, 'manifest.json', JSON.stringify(manifest));
    } else {
      await addBuffer(pack, 'oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
      const index = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] as Descriptor[] };
      for (const { img, cfg, cfgBuf, names } of imgs) {
        const cfgDigest = `sha256:${img.id}`;
        const layers: Descriptor[] = [];
        if (!written.has(cfgDigest)) await addBuffer(pack, `blobs/sha256/${img.id}`, cfgBuf), written.add(cfgDigest);
        for (const l of img.layers) {
          const size = readLayerMeta(ctx, l)!.size;
          layers.push({ mediaType: MT.ociLayer, digest: l, size });
          if (written.has(l)) continue;
          written.add(l);
          await addStream(pack, `blobs/sha256/${l.slice(7)}`, size, layerTarStream(ctx, l));
        }
        const man = Buffer.from(
          JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: cfgDigest, size: cfgBuf.length }, layers }),
        );
        const md = sha256(man);
        if (!written.has(md)) await addBuffer(pack, `blobs/sha256/${md.slice(7)}`, man), written.add(md);
        const desc: Descriptor = {
          mediaType: MT.ociManifest,
          digest: md,
          size: man.length,
          platform: { os: cfg.os ?? 'linux', architecture: cfg.architecture ?? 'amd64', ...(cfg.variant ? { variant: cfg.variant } : {}) },
        };
        if (names.length) for (const n of names) index.manifests.push({ ...desc, annotations: { 'org.opencontainers.image.ref.name': n, 'io.containerd.image.name': n } });
        else index.manifests.push(desc);
      }
      await addBuffer(pack, 'index.json', JSON.stringify(index));
    }
    pack.finalize();
    await writing;
    if (tmp) fs.renameSync(tmp, opts.output!);
  } catch (e) {
    pack.destroy(e as Error);
    await writing.catch(() => {});
    if (tmp) fs.rmSync(tmp, { force: true });
    throw e instanceof ConmanError ? e : new ConmanError('EINTERNAL', `save: ${describeError(e)}`, { cause: e });
  }
}

/** Opens a file of the unpacked archive, following symlinks only inside it. */
function openInside(root: string, rel: string, what: string): { file: string; size: number } {
  const clean = rel.split('/').filter((p) => p && p !== '.');
  if (clean.some((p) => p === '..') || rel.startsWith('/')) throw new ConmanError('ELAYER', `load: ${what}: path ${JSON.stringify(rel)} leaves the archive`);
  let real: string;
  try {
    real = fs.realpathSync(path.join(root, ...clean));
  } catch {
    throw new ConmanError('ELAYER', `load: ${what}: ${rel} is missing from the archive`);
  }
  const rroot = fs.realpathSync(root);
  if (!real.startsWith(`${rroot}/`)) throw new ConmanError('ELAYER', `load: ${what}: ${rel} points outside the archive`);
  const st = fs.statSync(real);
  if (!st.isFile()) throw new ConmanError('ELAYER', `load: ${what}: ${rel} is not a file`);
  return { file: real, size: st.size };
}

function readJsonIn<T>(root: string, rel: string, what: string): { value: T; buf: Buffer } {
  const { file } = openInside(root, rel, what);
  const buf = fs.readFileSync(file);
  try {
    return { value: JSON.parse(buf.toString('utf8')) as T, buf };
  } catch (e) {
    throw new ConmanError('ELAYER', `load: ${what}: ${rel} is not valid JSON: ${describeError(e)}`);
  }
}

interface Loaded {
  id: string;
  cfgBuf: Buffer;
  names: string[];
  diffIDs: string[];
  manifest?: { digest: string; body: Buffer };
}

export interface LoadOptions {
  quiet?: boolean;
  /** Receives progress events unless quiet. */
  onProgress?: OnProgress;
}

export async function loadArchive(ctx: Context, input: string | undefined, opts: LoadOptions = {}): Promise<string[]> {
  cleanStaleTemp(ctx);
  let src: Readable;
  if (input) {
    try {
      fs.accessSync(input, fs.constants.R_OK);
    } catch (e) {
      throw new ConmanError('EINVAL', `load: cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? describeError(e)}`);
    }
    src = fs.createReadStream(input, { highWaterMark: 1 << 20 });
  } else {
    if (process.stdin.isTTY) throw new ConmanError('EUSAGE', 'load needs -i FILE or an archive on stdin');
    src = process.stdin;
  }
  const what = input ?? 'stdin';
  const tmp = makeTemp(ctx, 'load');
  const report: OnProgress = (!opts.quiet && opts.onProgress) || (() => {});
  const leases: Array<() => void> = [];
  const unhook = hookInterrupt(ctx);
  try {
    const root = path.join(tmp, 'archive');
    fs.mkdirSync(root);
    const tarStream = await import('tar-stream');
    const ext = new SafeExtractor(root, native(ctx.installDir));
    const extract = tarStream.extract();
    let entries = 0;
    extract.on('entry', (h, stream, next) => {
      entries++;
      const t = h.type;
      if (t !== 'file' && t !== 'directory' && t !== 'symlink' && t !== 'contiguous-file') {
        stream.resume();
        return next();
      }
      ext.entry({ ...h, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mode: t === 'directory' ? 0o755 : 0o644, pax: null }, stream as unknown as Readable).then(
        () => next(),
        (e) => {
          stream.resume();
          extract.destroy(e);
        },
      );
    });
    try {
      await pipeline(src, new Decompressor(), extract);
    } catch (e) {
      if (e instanceof ConmanError) throw new ConmanError(e.code, `load ${what}: ${e.message}`, { cause: e });
      throw new ConmanError('ELAYER', `load ${what}: corrupt archive: ${describeError(e)}`, { cause: e });
    }
    if (!entries) throw new ConmanError('ELAYER', `load ${what}: empty archive`);
    let loaded: Loaded[];
    if (fs.existsSync(path.join(root, 'manifest.json'))) loaded = await loadDocker(ctx, root, what, report, leases);
    else if (fs.existsSync(path.join(root, 'index.json'))) loaded = await loadOci(ctx, root, what, report, leases);
    else throw new ConmanError('ELAYER', `load ${what}: not a docker-archive (manifest.json) or oci-archive (index.json)`);
    const out: string[] = [];
    await updateImages(ctx, (images) => {
      for (const l of loaded) {
        for (const d of l.diffIDs) if (!hasLayer(ctx, d)) throw new ConmanError('ESTATE', `load ${what}: layer ${d} vanished during the load`);
        fs.mkdirSync(blobsDir(ctx), { recursive: true });
        if (!fs.existsSync(blobPath(ctx, l.id))) writeFileAtomicSync(blobPath(ctx, l.id), l.cfgBuf);
        if (l.manifest && !fs.existsSync(blobPath(ctx, l.manifest.digest))) writeFileAtomicSync(blobPath(ctx, l.manifest.digest), l.manifest.body);
        for (const n of l.names) for (const i of images) if (i.id !== l.id) i.names = i.names.filter((x) => x !== n);
        let r = images.find((i) => i.id === l.id);
        if (!r) {
          const cfg = JSON.parse(l.cfgBuf.toString('utf8')) as ImageConfig;
          r = {
            id: l.id,
            names: [],
            repoDigests: [],
            layers: l.diffIDs,
            created: cfg.created ?? new Date(0).toISOString(),
            size: l.diffIDs.reduce((s, d) => s + (readLayerMeta(ctx, d)?.size ?? 0), 0),
            pulledAt: new Date().toISOString(),
            ...(l.manifest ? { manifestDigest: l.manifest.digest } : {}),
          };
          images.push(r);
        }
        for (const n of l.names) if (!r.names.includes(n)) r.names.push(n);
        if (l.names.length) out.push(...l.names);
        else out.push(`sha256:${l.id}`);
      }
    });
    return out;
  } finally {
    for (const release of leases) release();
    unhook();
    report({ type: 'finished' });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function checkConfig(cfgBuf: Buffer, what: string): ImageConfig {
  let cfg: ImageConfig;
  try {
    cfg = JSON.parse(cfgBuf.toString('utf8')) as ImageConfig;
  } catch (e) {
    throw new ConmanError('ELAYER', `${what}: image config is not valid JSON: ${describeError(e)}`);
  }
  const ids = cfg.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.some((d) => !/^sha256:[a-f0-9]{64}$/.test(d)))
    throw new ConmanError('ELAYER', `${what}: image config has no valid rootfs.diff_ids`);
  return cfg;
}

async function importFile(ctx: Context, file: string, opts: { diffID: string; digest?: string; what: string }, report: OnProgress): Promise<void> {
  if (hasLayer(ctx, opts.diffID)) {
    report({ type: 'layer-skipped', digest: opts.diffID });
    return;
  }
  report({ type: 'layer-started', diffID: opts.diffID, digest: opts.digest ?? opts.diffID });
  await importLayer(ctx, fs.createReadStream(file, { highWaterMark: 1 << 20 }), { ...opts });
  report({ type: 'layer-done', diffID: opts.diffID });
}

async function loadDocker(ctx: Context, root: string, what: string, report: OnProgress, leases: Array<() => void>): Promise<Loaded[]> {
  const { value: man } = readJsonIn<Array<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }>>(root, 'manifest.json', what);
  if (!Array.isArray(man) || !man.length) throw new ConmanError('ELAYER', `load ${what}: manifest.json lists no images`);
  const out: Loaded[] = [];
  for (const m of man) {
    if (!m.Config || !Array.isArray(m.Layers)) throw new ConmanError('ELAYER', `load ${what}: manifest.json entry without Config or Layers`);
    const { file } = openInside(root, m.Config, `load ${what}`);
    const cfgBuf = fs.readFileSync(file);
    const cfg = checkConfig(cfgBuf, `load ${what}`);
    const diffIDs = cfg.rootfs!.diff_ids;
    if (diffIDs.length !== m.Layers.length)
      throw new ConmanError('ELAYER', `load ${what}: config lists ${diffIDs.length} layers, manifest.json ${m.Layers.length}`);
    leases.push(takeLease(ctx, diffIDs));
    for (let i = 0; i < diffIDs.length; i++) {
      const { file: lf } = openInside(root, m.Layers[i]!, `load ${what}`);
      await importFile(ctx, lf, { diffID: diffIDs[i]!, what: `load ${what}: layer ${m.Layers[i]}` }, report);
    }
    const names: string[] = [];
    for (const t of m.RepoTags ?? []) {
      const r = parseReference(t);
      if (r.tag) names.push(`${repoName(r)}:${r.tag}`);
    }
    out.push({ id: sha256(cfgBuf).slice(7), cfgBuf, names, diffIDs });
  }
  return out;
}

function blobFile(root: string, digest: string, what: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new ConmanError('ELAYER', `${what}: unsupported digest ${digest}`);
  return openInside(root, `blobs/sha256/${digest.slice(7)}`, what).file;
}

function readBlob(root: string, digest: string, what: string): Buffer {
  const buf = fs.readFileSync(blobFile(root, digest, what));
  const got = sha256(buf);
  if (got !== digest) throw new ConmanError('EDIGEST', `${what}: blob ${digest} has digest ${got}`);
  return buf;
}

function ociName(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  const n = a['io.containerd.image.name'] ?? a['org.opencontainers.image.ref.name'];
  if (!n) return [];
  try {
    const r = parseReference(n);
    if (!r.tag) return [];
    if (!n.includes('/') && !n.includes(':')) return []; // a bare tag like "latest" names no repository
    return [r.shortName ? `localhost/${r.repository.replace(/^library\//, '')}:${r.tag}` : `${repoName(r)}:${r.tag}`];
  } catch {
    return [];
  }
}

async function loadOci(ctx: Context, root: string, what: string, report: OnProgress, leases: Array<() => void>): Promise<Loaded[]> {
  const w = `load ${what}`;
  const { value: index } = readJsonIn<Manifest>(root, 'index.json', w);
  if (!Array.isArray(index.manifests) || !index.manifests.length) throw new ConmanError('ELAYER', `${w}: index.json lists no images`);
  const out: Loaded[] = [];
  for (const top of index.manifests) {
    let d = top;
    let body = readBlob(root, d.digest, w);
    let m = JSON.parse(body.toString('utf8')) as Manifest;
    if (m.manifests) {
      const c = choosePlatform(m.manifests);
      if (!c) throw new ConmanError('ELAYER', `${w}: no image for this platform in ${d.digest}`);
      d = c;
      body = readBlob(root, d.digest, w);
      m = JSON.parse(body.toString('utf8')) as Manifest;
    }
    if (!m.config?.digest || !Array.isArray(m.layers)) throw new ConmanError('ELAYER', `${w}: manifest ${d.digest} has no config or layers`);
    const cfgBuf = readBlob(root, m.config.digest, w);
    const cfg = checkConfig(cfgBuf, w);
    const diffIDs = cfg.rootfs!.diff_ids;
    if (diffIDs.length !== m.layers.length) throw new ConmanError('ELAYER', `${w}: config lists ${diffIDs.length} layers, manifest ${m.layers.length}`);
    leases.push(takeLease(ctx, diffIDs));
    for (let i = 0; i < diffIDs.length; i++) {
      const ld = m.layers[i]!;
      await importFile(ctx, blobFile(root, ld.digest, w), { diffID: diffIDs[i]!, digest: ld.digest, what: `${w}: layer ${ld.digest}` }, report);
    }
    const existing = out.find((o) => o.id === m.config!.digest.slice(7));
    if (existing) existing.names.push(...ociName(top));
    else out.push({ id: m.config.digest.slice(7), cfgBuf, names: ociName(top), diffIDs, manifest: { digest: d.digest, body } });
  }
  return out;
}
