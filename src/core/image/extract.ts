/**
 * SafeExtractor: writes tar entries under a root and never outside it. `..` components are refused,
 * leading `/` stripped, every parent component is checked with lstat (a symlink or non-directory parent is
 * refused, never followed), files are opened with O_CREAT|O_EXCL|O_NOFOLLOW after removing what was there,
 * hard link targets must be inside and not symlinks. OCI whiteouts become overlay whiteouts (0/0 char
 * devices, opaque xattr). Used for layers and for the archives `load` unpacks.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ConmanError } from '../../base/errors.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, type Native } from '../../base/native.js';

/** The header fields of a tar entry (as tar-stream gives them) the extractor uses. */
export interface TarHeader {
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
