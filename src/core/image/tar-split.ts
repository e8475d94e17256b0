/**
 * The tar-split record of a layer, both ways. TarTap hashes the uncompressed tar during import (the
 * diffID) and records its structure; layerTarStream rebuilds the exact same tar from that record and the
 * unpacked files, which is what `save` writes.
 *
 * Record format (gzipped as `tar-split.gz` in the layer dir, with `files.json` listing the regular files
 * with content in entry order): `R <u32 len> <len bytes>` keeps bytes verbatim (headers, PAX records,
 * padding, the end blocks); `F <f64 size>` stands for the content of the next file in files.json.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { layerDiffDir, layerDir } from '../../storage/layout.js';
import { HWM } from './decompress.js';
import { readLayerMeta } from './layers.js';

/**
 * Hashes the uncompressed tar and records its structure (tar-split): every byte that is not the content
 * of a regular file is kept verbatim; file contents are recorded by size only and read back from the
 * unpacked files by `layerTarStream`.
 */
export class TarTap extends Transform {
  readonly hash = crypto.createHash('sha256');
  bytes = 0;
  private raw: Buffer[] = [];
  private rawLen = 0;
  readonly records: Buffer[] = [];
  fileCount = 0;
  private header = Buffer.alloc(512);
  private headerFill = 0;
  private skip = 0; // file payload bytes still to skip
  private keep = 0; // meta payload (pax, long names) bytes still to keep verbatim
  private pad = 0; // padding bytes still to keep verbatim
  private metaBuf: Buffer[] = [];
  private paxSize: number | undefined;
  private paxXattrs: Record<string, Buffer> | null = null;
  private metaKind = 0;
  /**
   * The PAX `SCHILY.xattr.*` values of each entry, as raw bytes, in entry order (tar-stream decodes PAX
   * values as UTF-8 text, which mangles binary values such as security.capability). The extractor takes
   * one per entry: this tap sees every header before tar-stream does.
   */
  readonly entryXattrs: Array<Record<string, Buffer> | null> = [];
  constructor() {
    super({ readableHighWaterMark: HWM, writableHighWaterMark: HWM });
  }
  private flushRaw(): void {
    if (!this.rawLen) return;
    const h = Buffer.alloc(5);
    h[0] = 0x52;
    h.writeUInt32BE(this.rawLen, 1);
    this.records.push(h, ...this.raw);
    this.raw = [];
    this.rawLen = 0;
  }
  private keepRaw(b: Buffer): void {
    if (!b.length) return;
    this.raw.push(Buffer.from(b));
    this.rawLen += b.length;
    if (this.rawLen > 1 << 20) this.flushRaw();
  }
  private fileRef(size: number): void {
    this.flushRaw();
    const h = Buffer.alloc(9);
    h[0] = 0x46;
    h.writeDoubleBE(size, 1);
    this.records.push(h);
    this.fileCount++;
  }
  private parseHeader(): void {
    const b = this.header;
    let zero = true;
    for (let i = 0; i < 512; i++) if (b[i] !== 0) { zero = false; break; }
    this.keepRaw(b);
    if (zero) return;
    let size: number;
    if (b[124]! & 0x80) {
      size = 0;
      for (let i = 125; i < 136; i++) size = size * 256 + b[i]!;
    } else {
      const s = b.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim();
      size = s ? parseInt(s, 8) : 0;
    }
    if (!Number.isFinite(size) || size < 0) size = 0;
    const tf = b[156]!;
    const t = tf === 0 ? 0 : tf - 48;
    const pad = (512 - (size % 512)) % 512;
    if (tf === 0x78 /* x */ || tf === 0x67 /* g */ || tf === 0x4c /* L */ || tf === 0x4b /* K */) {
      this.keep = size;
      this.pad = pad;
      this.metaKind = tf;
      this.metaBuf = [];
      return;
    }
    if (this.paxSize !== undefined) size = this.paxSize;
    this.paxSize = undefined;
    this.entryXattrs.push(this.paxXattrs);
    this.paxXattrs = null;
    const nameEnd = b.indexOf(0, 0);
    const name = b.toString('latin1', 0, nameEnd < 0 || nameEnd > 100 ? 100 : nameEnd);
    const isDir = t === 5 || (t === 0 && name.endsWith('/'));
    if (isDir) return; // tar-stream ignores a directory's size
    const padded = (512 - (size % 512)) % 512;
    if ((t === 0 || t === 7) && size > 0) {
      this.fileRef(size);
      this.skip = size;
      this.pad = padded;
    } else {
      this.keep = size;
      this.pad = padded;
      this.metaKind = 0;
    }
  }
  private endMeta(): void {
    if (this.metaKind === 0x78) {
      const buf = Buffer.concat(this.metaBuf);
      // records: "<len> <key>=<value>\n", len counting the whole record; values are raw bytes
      let off = 0;
      while (off < buf.length) {
        const sp = buf.indexOf(0x20, off);
        if (sp < 0) break;
        const len = parseInt(buf.toString('latin1', off, sp), 10);
        if (!(len > 0) || off + len > buf.length) break;
        const rec = buf.subarray(sp + 1, off + len - 1);
        const eq = rec.indexOf(0x3d);
        if (eq > 0) {
          const key = rec.toString('utf8', 0, eq);
          if (key === 'size') this.paxSize = parseInt(rec.toString('latin1', eq + 1), 10);
          else if (key.startsWith('SCHILY.xattr.')) (this.paxXattrs ??= {})[key.slice(13)] = Buffer.from(rec.subarray(eq + 1));
        }
        off += len;
      }
    }
    this.metaBuf = [];
    this.metaKind = 0;
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    let off = 0;
    const n = chunk.length;
    while (off < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - off);
        this.skip -= k;
        off += k;
        continue;
      }
      if (this.keep > 0) {
        const k = Math.min(this.keep, n - off);
        const part = chunk.subarray(off, off + k);
        this.keepRaw(part);
        if (this.metaKind) this.metaBuf.push(Buffer.from(part));
        this.keep -= k;
        off += k;
        if (this.keep === 0) this.endMeta();
        continue;
      }
      if (this.pad > 0) {
        const k = Math.min(this.pad, n - off);
        this.keepRaw(chunk.subarray(off, off + k));
        this.pad -= k;
        off += k;
        continue;
      }
      const k = Math.min(512 - this.headerFill, n - off);
      chunk.copy(this.header, this.headerFill, off, off + k);
      this.headerFill += k;
      off += k;
      if (this.headerFill === 512) {
        this.headerFill = 0;
        this.parseHeader();
      }
    }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.headerFill) this.keepRaw(this.header.subarray(0, this.headerFill));
    this.flushRaw();
    cb();
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/**
 * The layer's original uncompressed tar stream, rebuilt from tar-split and the unpacked files; the
 * result is checked against the diffID at the end (a mismatch errors the stream).
 */
export function layerTarStream(ctx: Context, diffID: string): Readable {
  const dir = layerDir(ctx, diffID);
  const meta = readLayerMeta(ctx, diffID);
  if (!meta) throw new ConmanError('ESTATE', `layer ${diffID} is missing from the store`);
  if (!meta.tarSplit) throw new ConmanError('ESTATE', `layer ${diffID} cannot be exported: no tar-split record`);
  const recs = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'tar-split.gz')));
  const files = JSON.parse(fs.readFileSync(path.join(dir, 'files.json'), 'utf8')) as string[];
  const diff = layerDiffDir(ctx, diffID);
  async function* gen(): AsyncGenerator<Buffer> {
    const hash = crypto.createHash('sha256');
    let off = 0;
    let fi = 0;
    const buf = Buffer.allocUnsafe(HWM);
    while (off < recs.length) {
      const t = recs[off]!;
      if (t === 0x52) {
        const len = recs.readUInt32BE(off + 1);
        const b = recs.subarray(off + 5, off + 5 + len);
        off += 5 + len;
        hash.update(b);
        yield Buffer.from(b);
      } else if (t === 0x46) {
        let size = recs.readDoubleBE(off + 1);
        off += 9;
        const rel = files[fi++];
        if (rel === undefined) throw new ConmanError('ESTATE', `layer ${diffID}: tar-split record is corrupt`);
        const fd = fs.openSync(path.join(diff, rel), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
        try {
          while (size > 0) {
            const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size), null);
            if (n <= 0) throw new ConmanError('ESTATE', `layer ${diffID}: ${rel} is shorter than recorded`);
            size -= n;
            const out = Buffer.from(buf.subarray(0, n));
            hash.update(out);
            yield out;
          }
        } finally {
          fs.closeSync(fd);
        }
      } else throw new ConmanError('ESTATE', `layer ${diffID}: tar-split record is corrupt`);
    }
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== meta!.diffID)
      throw new ConmanError('EDIGEST', `layer ${diffID}: reconstructed tar does not match its diffID (got ${got}); the layer was modified`);
  }
  return Readable.from(gen(), { objectMode: false, highWaterMark: HWM });
}
