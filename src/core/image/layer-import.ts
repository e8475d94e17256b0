/**
 * Import of one layer into the store, as one streaming pipeline: source → sha256 (compressed) →
 * gunzip/zstd/none (sniffed) → sha256 (diffID) + tar-split tap → tar-stream → SafeExtractor. The layer is
 * unpacked into a temp dir under `<root>/tmp` and renamed into place only when every digest matched.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from '../../base/context.js';
import { ConmanError, describeError } from '../../base/errors.js';
import { native } from '../../base/native.js';
import { layerDir, layersDir } from '../../storage/layout.js';
import { writeJsonAtomic } from '../../storage/atomic.js';
import { Decompressor, HashTap } from './decompress.js';
import { SafeExtractor, type TarHeader } from './extract.js';
import { indexDigest, readLayerMeta, type LayerMeta } from './layers.js';
import { TarTap } from './tar-split.js';
import { makeTemp } from './temp.js';

export interface ImportOptions {
  /** Expected diffID (uncompressed digest); mismatch → EDIGEST. */
  diffID?: string;
  /** Expected digest of the bytes as they come (compressed blob); mismatch → EDIGEST. */
  digest?: string;
  /** What the layer is, for messages. */
  what: string;
  onBytes?: (n: number) => void;
  /** Tells a source failure (network) from a layer failure. */
  sourceError?: (e: unknown) => ConmanError | undefined;
}

/**
 * Imports one layer from a stream into the store. Returns its meta. If a layer with the same diffID
 * appears meanwhile (another pull), the existing one is kept.
 */
export async function importLayer(ctx: Context, source: Readable, opts: ImportOptions): Promise<LayerMeta> {
  const nat = native(ctx.installDir);
  const tmp = makeTemp(ctx, 'layer');
  const diffRoot = path.join(tmp, 'diff');
  fs.chmodSync(tmp, 0o755);
  fs.mkdirSync(diffRoot, { mode: 0o755 });
  const tarStream = await import('tar-stream');
  const ext = new SafeExtractor(diffRoot, nat);
  const cTap = new HashTap(opts.onBytes);
  const dec = new Decompressor();
  const tap = new TarTap();
  const extract = tarStream.extract({ highWaterMark: 4 << 20 } as Parameters<typeof tarStream.extract>[0]);
  extract.on('entry', (header, stream, next) => {
    ext.entry(header as TarHeader, stream as unknown as Readable, tap.entryXattrs.shift() ?? null).then(
      () => next(),
      (e) => {
        stream.resume();
        extract.destroy(e);
      },
    );
  });
  let srcErr: unknown;
  source.once('error', (e) => (srcErr = e));
  try {
    try {
      await pipeline(source, cTap, dec, tap, extract);
    } catch (e) {
      if (srcErr) throw opts.sourceError?.(srcErr) ?? new ConmanError('ENETWORK', `${opts.what}: ${describeError(srcErr)}`, { cause: srcErr });
      if (e instanceof ConmanError) throw new ConmanError(e.code, `${opts.what}: ${e.message}`, { cause: e, hint: e.hint });
      throw new ConmanError('ELAYER', `${opts.what}: corrupt layer tarball: ${describeError(e)}`, { cause: e });
    }
    const digest = cTap.digest();
    if (opts.digest && digest !== opts.digest)
      throw new ConmanError('EDIGEST', `${opts.what}: digest mismatch: expected ${opts.digest}, got ${digest}`);
    const diffID = tap.digest();
    if (opts.diffID && diffID !== opts.diffID)
      throw new ConmanError('EDIGEST', `${opts.what}: uncompressed digest mismatch: expected diffID ${opts.diffID}, got ${diffID}`);
    if (tap.bytes === 0) throw new ConmanError('ELAYER', `${opts.what}: empty layer blob`);
    ext.finish();
    const tarSplit = tap.fileCount === ext.files.length;
    if (tarSplit) {
      fs.writeFileSync(path.join(tmp, 'tar-split.gz'), zlib.gzipSync(Buffer.concat(tap.records), { level: 1 }));
      fs.writeFileSync(path.join(tmp, 'files.json'), JSON.stringify(ext.files));
    }
    const meta: LayerMeta = {
      diffID,
      compressedDigests: digest !== diffID ? [digest] : [],
      size: tap.bytes,
      created: new Date().toISOString(),
      tarSplit,
    };
    writeJsonAtomic(path.join(tmp, 'meta.json'), meta);
    const final = layerDir(ctx, diffID);
    fs.mkdirSync(layersDir(ctx), { recursive: true });
    try {
      fs.renameSync(tmp, final);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      fs.rmSync(tmp, { recursive: true, force: true }); // someone else finished it first
      if (digest !== diffID) indexDigest(ctx, digest, diffID);
      const old = readLayerMeta(ctx, diffID);
      return old ?? meta;
    }
    if (digest !== diffID) indexDigest(ctx, digest, diffID);
    return meta;
  } catch (e) {
    source.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
