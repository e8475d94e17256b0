/**
 * images.json as stored: the image records, and their reader and writer. Writes happen under images.lock
 * (src/core/image/store.ts, updateImages). A file of the wrong shape is an ESTATE error that names it.
 */
import fs from 'node:fs';
import type { Context } from '../base/context.js';
import { readJson, writeJsonAtomic } from './atomic.js';
import { checked, ImagesFileSchema } from './schema.js';
import { imagesDir, imagesFile } from './layout.js';

export interface ImageRecord {
  /** Config digest hex (64 chars). */
  id: string;
  /** `host/repo:tag` */
  names: string[];
  /** `host/repo@sha256:…` */
  repoDigests: string[];
  /** diffIDs `sha256:…`, bottom→top. */
  layers: string[];
  /** Image creation time from the config (ISO). */
  created: string;
  /** Sum of uncompressed layer sizes. */
  size: number;
  pulledAt: string;
  /** Digest of the manifest stored for this image (blobs/sha256/<hex>). */
  manifestDigest?: string;
  /** The digest the image was found by in its registry (a manifest list's digest when pulled through one). */
  digest?: string;
  /** `host/repo@sha256:…` references the user pulled by digest: they keep a tagless image from being dangling. */
  digestRefs?: string[];
}

/** Dangling: no name and not pulled by digest (what `image prune` removes, `<none> <none>` in `images`). */
export function isDangling(img: ImageRecord): boolean {
  return img.names.length === 0 && !img.digestRefs?.length;
}

export interface ImagesFile {
  schema: 1;
  images: ImageRecord[];
}

export function readImages(ctx: Context): ImageRecord[] {
  const file = imagesFile(ctx);
  const raw = readJson<unknown>(file);
  const f = raw === undefined ? undefined : checked<ImagesFile>(file, ImagesFileSchema, raw);
  return f?.images ?? [];
}

export function writeImages(ctx: Context, images: ImageRecord[]): void {
  fs.mkdirSync(imagesDir(ctx), { recursive: true });
  writeJsonAtomic(imagesFile(ctx), { schema: 1, images } satisfies ImagesFile);
}
