/**
 * The image store: images.json (records) and blobs (manifests, configs), matching, and the garbage
 * collection of blobs and layers no image uses (the layer store itself is layers.ts).
 * Public API for the containers area: findImage, imageConfig, layerDiffDirs, pullImage.
 * All writes of images.json happen under images.lock; layer dirs appear only complete (temp + rename).
 */
import { ensureStore } from '../../storage/store.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { blobPath, blobsDir, digestLink, digestsDir, imagesDir, imagesLock, layerDiffDir, layerDir, layersDir, tmpDir } from '../../storage/layout.js';
import { readJson } from '../../storage/atomic.js';
import { withLock } from '../../storage/lock.js';
import { readImages, writeImages, type ImageRecord } from '../../storage/images.js';
import { listRecordsWithPending } from '../../storage/containers.js';
import type { OnProgress } from './progress-events.js';
import { looksLikeId, parseReference, repoName, splitName, type Reference } from './reference.js';

export interface PullOptions {
  tlsVerify?: boolean;
  creds?: { username: string; password: string };
  authfile?: string;
  quiet?: boolean;
  /** linux/amd64[/variant] override (default: this machine). */
  platform?: string;
  /** Receives progress events unless quiet (without it a pull reports nothing). */
  onProgress?: OnProgress;
}

/** OCI image config (the parts conman uses; everything else is kept as is). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, object>;
    Volumes?: Record<string, object>;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
  };
  rootfs?: { type: string; diff_ids: string[] };
  history?: unknown[];
  [k: string]: unknown;
}


/** Read-modify-write of images.json under images.lock. */
export async function updateImages<T>(ctx: Context, fn: (images: ImageRecord[]) => T | Promise<T>): Promise<T> {
  ensureStore(ctx);
  fs.mkdirSync(imagesDir(ctx), { recursive: true });
  return withLock(imagesLock(ctx), async () => {
    const images = readImages(ctx);
    const r = await fn(images);
    writeImages(ctx, images);
    return r;
  });
}


/** Finds an image in a list by name, id, id prefix or digest; throws EINVAL for ambiguous prefixes. */
export function matchImage(images: ImageRecord[], ref: string): ImageRecord | undefined {
  if (!ref) return undefined;
  const hexRef = looksLikeId(ref) ? ref.replace(/^sha256:/, '') : undefined;
  if (hexRef && hexRef.length === 64) {
    const exact = images.find((i) => i.id === hexRef);
    if (exact) return exact;
  }
  if (hexRef && !/^sha256:[a-f0-9]{64}$/.test(ref)) {
    // a name wins over an id prefix (podman does the same)
    const byName = ref.startsWith('sha256:') ? undefined : matchByName(images, ref);
    if (byName) return byName;
    const m = images.filter((i) => i.id.startsWith(hexRef));
    if (m.length > 1) throw new ConmanError('EINVAL', `image id prefix ${ref} is ambiguous: ${m.length} images match`);
    return m[0];
  }
  // bare digest: the image pulled by or stored with that manifest digest
  if (/^sha256:[a-f0-9]{64}$/.test(ref)) {
    return images.find((i) => i.digest === ref || i.manifestDigest === ref || i.repoDigests.some((d) => d.endsWith(`@${ref}`)));
  }
  return matchByName(images, ref);
}

function matchByName(images: ImageRecord[], ref: string): ImageRecord | undefined {
  let r: Reference;
  try {
    r = parseReference(ref);
  } catch {
    return undefined;
  }
  if (r.digest) {
    const want = `${repoName(r)}@${r.digest}`;
    const hit = images.find((i) => i.repoDigests.includes(want));
    if (hit) return hit;
    if (r.shortName) {
      const tail = `/${r.repository.replace(/^library\//, '')}@${r.digest}`;
      return images.find((i) => i.repoDigests.some((d) => d.endsWith(tail)));
    }
    return undefined;
  }
  const full = `${repoName(r)}:${r.tag}`;
  const exact = images.find((i) => i.names.includes(full));
  if (exact || !r.shortName) return exact;
  // a short name also matches localhost/NAME and any registry's NAME, like podman
  const { repo, tag } = splitName(`${r.repository.replace(/^library\//, '')}:${r.tag}`);
  const tail = `/${repo}:${tag}`;
  const cands = images.filter((i) => i.names.some((n) => n.endsWith(tail)));
  const local = cands.find((i) => i.names.includes(`localhost${tail}`));
  return local ?? cands[0];
}

/** The image a reference names in the store: by name (normalised), full id, unique id prefix, or digest. */
export async function findImage(ctx: Context, ref: string): Promise<ImageRecord | undefined> {
  return matchImage(readImages(ctx), ref);
}

/** Like findImage but throws ENOSUCHIMAGE. */
export async function getImage(ctx: Context, ref: string): Promise<ImageRecord> {
  const img = await findImage(ctx, ref);
  if (!img) throw new ConmanError('ENOSUCHIMAGE', `${ref}: image not known`);
  return img;
}

/** The parsed OCI image config of a stored image. */
export async function imageConfig(ctx: Context, img: ImageRecord): Promise<ImageConfig> {
  const f = blobPath(ctx, img.id);
  const c = readJson<ImageConfig>(f);
  if (!c) throw new ConmanError('ESTATE', `image ${img.id.slice(0, 12)}: config blob ${f} is missing`);
  return c;
}

/**
 * Absolute overlay lowerdir paths of the image's layers, bottom→top. A layer that occurs twice (identical
 * empty layers, say) is listed once, at its topmost position: overlayfs refuses a lowerdir given twice, and
 * the topmost copy already hides or replaces everything the lower copy would.
 */
export function layerDiffDirs(ctx: Context, img: ImageRecord): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = img.layers.length - 1; i >= 0; i--) {
    const d = img.layers[i]!;
    if (seen.has(d)) continue;
    seen.add(d);
    out.unshift(layerDiffDir(ctx, d));
  }
  return out;
}

/** Pulls an image from its registry into the store (see core/image/pull.ts). */
export async function pullImage(ctx: Context, ref: string, opts: PullOptions = {}): Promise<ImageRecord> {
  const { pull } = await import('./pull.js');
  return pull(ctx, ref, opts);
}

/** Ids of images used by containers: `<root>/containers/*\/container.json` field image.id. */
export function imagesInUse(ctx: Context): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const c of listRecordsWithPending(ctx)) {
    const id = c.image?.id?.replace(/^sha256:/, '');
    if (!id) continue;
    const l = used.get(id) ?? [];
    l.push(c.name ?? c.id);
    used.set(id, l);
  }
  return used;
}

/**
 * Removes layers and blobs no image references any more. Call under images.lock with the final list.
 * Layer dirs are renamed away first, so a half-removed layer never looks complete.
 */
export function garbageCollect(ctx: Context, images: ImageRecord[], leased: Set<string> = new Set()): void {
  const keepLayers = new Set(images.flatMap((i) => i.layers.map((l) => l.replace(/^sha256:/, ''))));
  for (const l of leased) keepLayers.add(l);
  const keepBlobs = new Set<string>();
  for (const i of images) {
    keepBlobs.add(i.id);
    if (i.manifestDigest) keepBlobs.add(i.manifestDigest.replace(/^sha256:/, ''));
  }
  const tmp = tmpDir(ctx);
  fs.mkdirSync(tmp, { recursive: true });
  let dirs: string[] = [];
  try {
    dirs = fs.readdirSync(layersDir(ctx));
  } catch {}
  for (const d of dirs) {
    if (keepLayers.has(d)) continue;
    const away = path.join(tmp, `rm-${process.pid}-${d.slice(0, 16)}-${Date.now()}`);
    try {
      fs.renameSync(layerDir(ctx, d), away);
      fs.rmSync(away, { recursive: true, force: true });
    } catch {}
  }
  // the compressed-digest index: drop links to removed layers
  try {
    const ddir = digestsDir(ctx);
    for (const n of fs.readdirSync(ddir)) if (!fs.existsSync(digestLink(ctx, n))) fs.rmSync(digestLink(ctx, n), { force: true });
  } catch {}
  let blobs: string[] = [];
  try {
    blobs = fs.readdirSync(blobsDir(ctx));
  } catch {}
  for (const b of blobs) if (!keepBlobs.has(b) && !b.includes('.')) fs.rmSync(blobPath(ctx, b), { force: true });
}
