/**
 * The layer store: each layer is unpacked once into `images/layers/<diffID hex>/diff` (overlay lowerdir
 * form) with `meta.json` and a tar-split record (`tar-split.gz` + `files.json`, see tar-split.ts) that lets
 * `save` reproduce the exact uncompressed tar stream (same diffID) from the unpacked files. Layers get
 * there through layer-import.ts; garbage collection is in store.ts, with images.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { digestLink, digestsDir, layerDir, layerMetaFile } from '../../storage/layout.js';

export interface LayerMeta {
  diffID: string;
  compressedDigests: string[];
  size: number;
  created: string;
  tarSplit: boolean;
}

/** A layer is in the store once its meta.json is (the dir appears complete, by rename). */
export function hasLayer(ctx: Context, diffID: string): boolean {
  return fs.existsSync(layerMetaFile(ctx, diffID));
}

export function readLayerMeta(ctx: Context, diffID: string): LayerMeta | undefined {
  try {
    return JSON.parse(fs.readFileSync(layerMetaFile(ctx, diffID), 'utf8')) as LayerMeta;
  } catch {
    return undefined;
  }
}

/**
 * The compressed-digest → diffID index: `images/digests/<compressed hex>` is a symlink to the layer dir
 * `../layers/<diffID hex>` (made atomically; dangling ones are removed by garbage collection).
 */
export function indexDigest(ctx: Context, digest: string, diffID: string): void {
  const dir = digestsDir(ctx);
  fs.mkdirSync(dir, { recursive: true });
  const link = digestLink(ctx, digest);
  const tmp = `${link}.${process.pid}.tmp`;
  try {
    fs.rmSync(tmp, { force: true });
    fs.symlinkSync(path.relative(dir, layerDir(ctx, diffID)), tmp); // ../layers/<diffID hex>
    fs.renameSync(tmp, link);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/** The diffID a compressed blob is known to unpack to, if that layer is in the store. */
export function diffIDForDigest(ctx: Context, digest: string): string | undefined {
  try {
    const target = fs.readlinkSync(digestLink(ctx, digest));
    const diffID = `sha256:${path.basename(target)}`;
    return hasLayer(ctx, diffID) ? diffID : undefined;
  } catch {
    return undefined;
  }
}
