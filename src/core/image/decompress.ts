/**
 * The first stages of a layer import: HashTap (sha256 and byte count of what passes through) and
 * Decompressor (gzip or zstd, sniffed from the magic bytes, or plain tar passed through).
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { Transform, type TransformCallback } from 'node:stream';
import { ConmanError, describeError } from '../../base/errors.js';

/** Stream buffer size of the layer pipeline (import and export). */
export const HWM = 1024 * 1024;

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
