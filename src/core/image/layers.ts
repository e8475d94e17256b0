/**
 * The layer store: each layer is unpacked once into `images/layers/<diffID hex>/diff` (overlay lowerdir
 * form) with `meta.json` and a tar-split record (`tar-split.gz` + `files.json`) that lets `save`
 * reproduce the exact uncompressed tar stream (same diffID) from the unpacked files.
 *
 * Import is one streaming pipeline: source → sha256 (compressed) → gunzip/zstd/none (sniffed) →
 * sha256 (diffID) + tar-split tap → tar-stream → SafeExtractor. The layer is unpacked into a temp dir
 * under `<root>/tmp` and renamed into place only when every digest matched.
 *
 * SafeExtractor never writes outside its root: `..` components are refused, leading `/` stripped, every
 * parent component is checked with lstat (a symlink or non-directory parent is refused, never followed),
 * files are opened with O_CREAT|O_EXCL|O_NOFOLLOW after removing what was there, hard link targets must be
 * inside and not symlinks. OCI whiteouts become overlay whiteouts (0/0 char devices, opaque xattr).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from '../../base/context.js';
import { ConmanError, describeError } from '../../base/errors.js';
import { native, S_IFBLK, S_IFCHR, S_IFIFO, type Native } from '../../base/native.js';
import { pidExists } from '../../base/proc.js';
import { digestLink, digestsDir, layerDir, layersDir, tmpDir } from '../../storage/layout.js';
import { writeJsonAtomic } from '../../storage/atomic.js';

const HWM = 1024 * 1024;

export interface LayerMeta {
  diffID: string;
  compressedDigests: string[];
  size: number;
  created: string;
  tarSplit: boolean;
}


export function hasLayer(ctx: Context, diffID: string): boolean {
  return fs.existsSync(path.join(layerDir(ctx, diffID), 'meta.json'));
}

export function readLayerMeta(ctx: Context, diffID: string): LayerMeta | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(layerDir(ctx, diffID), 'meta.json'), 'utf8')) as LayerMeta;
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
  const link = path.join(dir, digest.replace(/^sha256:/, ''));
  const tmp = `${link}.${process.pid}.tmp`;
  try {
    fs.rmSync(tmp, { force: true });
    fs.symlinkSync(path.join('..', 'layers', diffID.replace(/^sha256:/, '')), tmp);
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

/** A pass-through that hashes and counts what flows through it. */
export class HashTap extends Transform {
  readonly hash = crypto.createHash('sha256');
  bytes = 0;
  constructor(private readonly onBytes?: (n: number) => void) {
    super({ readableHighWaterMark: HWM, writableHighWaterMark: HWM });
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    cb(null, chunk);
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** Decompresses gzip or zstd (sniffed from the magic bytes) or passes plain tar through. */
export class Decompressor extends Transform {
  private kind: 'gzip' | 'zstd' | 'none' | undefined;
  private head: Buffer[] = [];
  private gunzip?: zlib.Gunzip;
  private zstd?: { push(c: Uint8Array, final?: boolean): void };
  private waiting?: () => void;
  constructor() {
    super({ readableHighWaterMark: HWM, writableHighWaterMark: HWM });
  }
  private async start(first: Buffer): Promise<void> {
    if (first[0] === 0x1f && first[1] === 0x8b) {
      this.kind = 'gzip';
      this.gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 });
      this.gunzip.on('data', (d: Buffer) => {
        if (!this.push(d)) this.gunzip!.pause();
      });
      this.gunzip.on('error', (e) => this.destroy(new ConmanError('ELAYER', `corrupt gzip layer: ${e.message}`, { cause: e })));
    } else if (first[0] === 0x28 && first[1] === 0xb5 && first[2] === 0x2f && first[3] === 0xfd) {
      this.kind = 'zstd';
      const { Decompress } = await import('fzstd');
      this.zstd = new Decompress((chunk: Uint8Array) => {
        this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      });
    } else this.kind = 'none';
  }
  override _read(n: number): void {
    if (this.gunzip?.isPaused()) this.gunzip.resume();
    super._read(n);
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    if (this.kind === undefined) {
      this.head.push(chunk);
      const all = Buffer.concat(this.head);
      if (all.length < 4) return cb();
      this.head = [];
      this.start(all).then(
        () => this.feed(all, cb),
        (e) => cb(e),
      );
      return;
    }
    this.feed(chunk, cb);
  }
  private feed(chunk: Buffer, cb: TransformCallback): void {
    try {
      if (this.kind === 'gzip') {
        if (this.gunzip!.write(chunk)) cb();
        else this.gunzip!.once('drain', () => cb());
      } else if (this.kind === 'zstd') {
        this.zstd!.push(chunk);
        cb();
      } else cb(null, chunk);
    } catch (e) {
      cb(new ConmanError('ELAYER', `corrupt zstd layer: ${describeError(e)}`, { cause: e }));
    }
  }
  override _flush(cb: TransformCallback): void {
    if (this.kind === undefined) {
      const all = Buffer.concat(this.head);
      if (all.length === 0) return cb();
      this.kind = 'none';
      return cb(null, all);
    }
    if (this.kind === 'gzip') {
      this.gunzip!.once('end', () => cb());
      this.gunzip!.resume();
      this.gunzip!.end();
    } else if (this.kind === 'zstd') {
      try {
        this.zstd!.push(new Uint8Array(0), true);
        cb();
      } catch (e) {
        cb(new ConmanError('ELAYER', `corrupt zstd layer: ${describeError(e)}`, { cause: e }));
      }
    } else cb();
  }
}

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

interface TarHeader {
  name: string;
  type: string | null;
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string | null;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string> | null;
}

const O_NOFOLLOW = fs.constants.O_NOFOLLOW;

/** Writes tar entries under a root without ever leaving it. */
export class SafeExtractor {
  private okDirs = new Set<string>(['']);
  private dirTimes: Array<[string, Date]> = [];
  readonly files: string[] = [];
  private readonly isRoot = process.getuid?.() === 0;
  constructor(
    readonly root: string,
    private readonly nat: Native,
  ) {}

  private fail(member: string, why: string): never {
    throw new ConmanError('ELAYER', `hostile or corrupt layer member ${JSON.stringify(member)}: ${why}`);
  }

  /** Splits a member name into safe components (leading `/` and `./` stripped, `..` refused). */
  clean(name: string, member = name): string[] {
    if (name.includes('\0')) this.fail(member, 'NUL in name');
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.some((p) => p === '..')) this.fail(member, 'path has a ".." component');
    return parts;
  }

  private forget(rel: string): void {
    for (const d of this.okDirs) if (d === rel || d.startsWith(`${rel}/`)) this.okDirs.delete(d);
  }

  /** Makes sure every parent of parts is a real directory inside root (creating missing ones). */
  private parents(parts: string[], member: string, create = true): string {
    let rel = '';
    for (let i = 0; i < parts.length - 1; i++) {
      const next = rel ? `${rel}/${parts[i]}` : parts[i]!;
      if (!this.okDirs.has(next)) {
        const abs = path.join(this.root, next);
        let st: fs.Stats | undefined;
        try {
          st = fs.lstatSync(abs);
        } catch {
          st = undefined;
        }
        if (!st) {
          if (!create) this.fail(member, `${next} does not exist in the layer`);
          fs.mkdirSync(abs, { mode: 0o755 });
        } else if (st.isSymbolicLink()) this.fail(member, `parent ${next} is a symlink (would be followed)`);
        else if (!st.isDirectory()) this.fail(member, `parent ${next} is not a directory`);
        this.okDirs.add(next);
      }
      rel = next;
    }
    return rel;
  }

  private removeExisting(rel: string, keepDir: boolean): fs.Stats | undefined {
    const abs = path.join(this.root, rel);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(abs);
    } catch {
      return undefined;
    }
    if (keepDir && st.isDirectory()) return st;
    fs.rmSync(abs, { recursive: true, force: true });
    this.forget(rel);
    return undefined;
  }

  private owner(abs: string, h: TarHeader): void {
    if (!this.isRoot) return;
    fs.lchownSync(abs, h.uid ?? 0, h.gid ?? 0);
  }

  /** Raw xattrs of the entry being written (from TarTap), else decoded from tar-stream's PAX text. */
  private current: Record<string, Buffer> | null = null;

  private xattrs(abs: string, h: TarHeader): void {
    let vals = this.current;
    if (!vals && h.pax) {
      for (const [k, v] of Object.entries(h.pax))
        if (k.startsWith('SCHILY.xattr.')) (vals ??= {})[k.slice('SCHILY.xattr.'.length)] = Buffer.from(v, 'utf8');
    }
    if (!vals) return;
    for (const [name, value] of Object.entries(vals)) {
      if (name.startsWith('trusted.overlay.')) continue; // only conman sets overlay metadata
      try {
        this.nat.lsetxattr(abs, name, value);
      } catch {
        /* filesystems without xattr support: best effort, like tar */
      }
    }
  }

  /** Handles one entry; content is the entry's data stream (consumed here). */
  async entry(h: TarHeader, content: Readable, xattrs: Record<string, Buffer> | null = null): Promise<void> {
    this.current = xattrs;
    const member = h.name;
    const parts = this.clean(h.name, member);
    if (parts.length === 0) {
      content.resume();
      return; // the root itself ("./")
    }
    const base = parts[parts.length - 1]!;
    const parentRel = this.parents(parts, member);
    const rel = parentRel ? `${parentRel}/${base}` : base;
    const abs = path.join(this.root, rel);
    const type = h.type ?? 'file';
    // OCI whiteouts → overlay form
    if (base.startsWith('.wh.')) {
      content.resume();
      if (base === '.wh..wh..opq') {
        this.nat.lsetxattr(path.join(this.root, parentRel), 'trusted.overlay.opaque', 'y');
        return;
      }
      if (base.startsWith('.wh..wh.')) return; // aufs metadata
      const target = base.slice(4);
      if (!target || target === '.' || target === '..') this.fail(member, 'bad whiteout');
      const trel = parentRel ? `${parentRel}/${target}` : target;
      this.removeExisting(trel, false);
      this.nat.mknod(path.join(this.root, trel), S_IFCHR, 0, 0);
      return;
    }
    const mode = (h.mode ?? 0o644) & 0o7777;
    const mtime = h.mtime ?? new Date(0);
    switch (type) {
      case 'file':
      case 'contiguous-file': {
        this.removeExisting(rel, false);
        const fd = fs.openSync(abs, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW, 0o600);
        try {
          let written = 0;
          await new Promise<void>((resolve, reject) => {
            content.on('data', (c: Buffer) => {
              try {
                let o = 0;
                while (o < c.length) o += fs.writeSync(fd, c, o, c.length - o);
                written += c.length;
              } catch (e) {
                content.destroy(e as Error);
              }
            });
            content.once('end', resolve);
            content.once('error', reject);
            content.once('close', () => resolve());
          });
          if ((h.size ?? 0) !== written) this.fail(member, `truncated: ${written} of ${h.size} bytes`);
          if (this.isRoot) fs.fchownSync(fd, h.uid ?? 0, h.gid ?? 0);
          fs.fchmodSync(fd, mode);
          fs.futimesSync(fd, mtime, mtime);
        } finally {
          fs.closeSync(fd);
        }
        if ((h.size ?? 0) > 0) this.files.push(rel);
        this.xattrs(abs, h);
        return;
      }
      case 'directory': {
        content.resume();
        const st = this.removeExisting(rel, true);
        if (!st) fs.mkdirSync(abs, { mode: 0o700 });
        this.okDirs.add(rel);
        this.owner(abs, h);
        fs.chmodSync(abs, mode);
        this.xattrs(abs, h);
        this.dirTimes.push([rel, mtime]);
        return;
      }
      case 'symlink': {
        content.resume();
        if (!h.linkname) this.fail(member, 'symlink without target');
        this.removeExisting(rel, false);
        fs.symlinkSync(h.linkname, abs);
        this.owner(abs, h);
        this.xattrs(abs, h);
        fs.lutimesSync(abs, mtime, mtime);
        return;
      }
      case 'link': {
        content.resume();
        if (!h.linkname) this.fail(member, 'hard link without target');
        const tparts = this.clean(h.linkname, member);
        if (tparts.length === 0) this.fail(member, `hard link to the layer root`);
        const tparent = this.parents(tparts, member, false);
        const trel = tparent ? `${tparent}/${tparts[tparts.length - 1]}` : tparts[tparts.length - 1]!;
        let st: fs.Stats;
        try {
          st = fs.lstatSync(path.join(this.root, trel));
        } catch {
          this.fail(member, `hard link target ${h.linkname} does not exist in the layer`);
        }
        if (st.isSymbolicLink()) this.fail(member, `hard link target ${h.linkname} is a symlink`);
        if (st.isDirectory()) this.fail(member, `hard link target ${h.linkname} is a directory`);
        if (trel === rel) return;
        this.removeExisting(rel, false);
        fs.linkSync(path.join(this.root, trel), abs);
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        content.resume();
        this.removeExisting(rel, false);
        const t = type === 'fifo' ? S_IFIFO : type === 'block-device' ? S_IFBLK : S_IFCHR;
        this.nat.mknod(abs, t | mode, h.devmajor ?? 0, h.devminor ?? 0);
        this.owner(abs, h);
        fs.chmodSync(abs, mode);
        fs.lutimesSync(abs, mtime, mtime);
        return;
      }
      default:
        content.resume();
        this.fail(member, `unsupported tar entry type ${type}`);
    }
  }

  /** Directory mtimes last (writing into a directory changes its mtime); parents re-checked. */
  finish(): void {
    for (const [rel, t] of this.dirTimes.reverse()) {
      const parts = rel.split('/');
      let ok = true;
      let cur = this.root;
      for (const p of parts) {
        cur = path.join(cur, p);
        try {
          const st = fs.lstatSync(cur);
          if (!st.isDirectory()) ok = false;
        } catch {
          ok = false;
        }
        if (!ok) break;
      }
      if (ok) fs.lutimesSync(cur, t, t);
    }
  }
}

/** Removes temp dirs of conman processes that are gone (interrupted pulls/loads). */
export function cleanStaleTemp(ctx: Context): void {
  const dir = tmpDir(ctx);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^[a-z]+-(\d+)-/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    const alive = pid === process.pid || pidExists(pid);
    if (!alive) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
    // (lease files match the same pattern and go the same way)
  }
}

/**
 * A lease: the diffIDs a running pull/load is about to commit, so that a concurrent rmi/prune does not
 * garbage-collect a layer that is complete but not yet referenced by images.json. Stale leases (dead pid)
 * are removed by cleanStaleTemp.
 */
export function takeLease(ctx: Context, diffIDs: string[]): () => void {
  fs.mkdirSync(tmpDir(ctx), { recursive: true });
  const f = path.join(tmpDir(ctx), `lease-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(f, JSON.stringify(diffIDs));
  return () => fs.rmSync(f, { force: true });
}

/** diffIDs leased by live processes. */
export function leasedLayers(ctx: Context): Set<string> {
  const out = new Set<string>();
  let names: string[] = [];
  try {
    names = fs.readdirSync(tmpDir(ctx));
  } catch {}
  for (const n of names) {
    const m = /^lease-(\d+)-/.exec(n);
    if (!m) continue;
    if (!pidExists(Number(m[1]))) continue;
    try {
      for (const d of JSON.parse(fs.readFileSync(path.join(tmpDir(ctx), n), 'utf8')) as string[]) out.add(d.replace(/^sha256:/, ''));
    } catch {}
  }
  return out;
}

/**
 * While a pull/load runs: on SIGINT/SIGTERM remove this process's temp dirs and leases at once (instead of
 * at the next pull) and exit 130/143. Returns the function that removes the handlers again (a `run` that
 * pulled must get its signals back for the container).
 */
export function hookInterrupt(ctx: Context): () => void {
  const handler = (sig: NodeJS.Signals) => {
    try {
      for (const n of fs.readdirSync(tmpDir(ctx))) if (n.includes(`-${process.pid}-`)) fs.rmSync(path.join(tmpDir(ctx), n), { recursive: true, force: true });
    } catch {}
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export function makeTemp(ctx: Context, kind: string): string {
  fs.mkdirSync(tmpDir(ctx), { recursive: true });
  return fs.mkdtempSync(path.join(tmpDir(ctx), `${kind}-${process.pid}-`));
}

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
  const diff = path.join(dir, 'diff');
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
        const fd = fs.openSync(path.join(diff, rel), fs.constants.O_RDONLY | O_NOFOLLOW);
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
