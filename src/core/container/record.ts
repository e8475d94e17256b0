/**
 * container.json: one file per container holding its configuration and its state, plus the name index.
 * Readers never lock (files are replaced atomically); writers hold the container's lock. Names live in
 * `<root>/containers/names/<name>` symlinks pointing at the id, created and removed under the global
 * containers lock, so two `create --name x` can never both win.
 */
import { ensureStore } from '../../storage/store.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { writeJsonAtomic } from '../../storage/atomic.js';
import { containerDir, containerFile, containerGoneDir, containerLock, containerTmpDir, containersDir, containersLock, nameLink, namesDir } from '../../storage/layout.js';
import { withLock } from '../../storage/lock.js';
import { listIds, lookupName, readContainer, type ContainerRecord } from '../../storage/containers.js';

export const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Random bytes from the kernel (node:crypto costs ~3.5 ms to load, and ids are all this module needs of it). */
function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    let off = 0;
    while (off < n) off += fs.readSync(fd, b, off, n - off, null);
  } finally {
    fs.closeSync(fd);
  }
  return b;
}

export function newId(): string {
  return randomBytes(32).toString('hex');
}

const ADJ = ['brave', 'calm', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'kind', 'lucid', 'merry', 'nifty', 'proud', 'quirky', 'sharp', 'tender', 'vivid', 'witty', 'zen'];
const NOUN = ['turing', 'hopper', 'lovelace', 'knuth', 'ritchie', 'thompson', 'curie', 'noether', 'euler', 'gauss', 'darwin', 'tesla', 'fermi', 'bohr', 'pike', 'torvalds'];
export function randomName(): string {
  const r = randomBytes(3);
  return `${ADJ[r[0]! % ADJ.length]}_${NOUN[r[1]! % NOUN.length]}${r[2]! % 100}`;
}

/** Finds a container by full id, name, or unique id prefix. */
export function resolveContainer(ctx: Context, ref: string): ContainerRecord {
  if (!ref) throw new ConmanError('EINVAL', 'no container name or id given');
  if (/^[0-9a-f]{64}$/.test(ref)) {
    const rec = readContainer(ctx, ref);
    if (rec) return rec;
  }
  if (NAME_RE.test(ref)) {
    const id = lookupName(ctx, ref);
    if (id) {
      const rec = readContainer(ctx, id);
      if (rec) return rec;
    }
  }
  if (/^[0-9a-f]+$/.test(ref)) {
    const matches = listIds(ctx).filter((i) => i.startsWith(ref));
    if (matches.length > 1) throw new ConmanError('EINVAL', `container id prefix ${ref} is ambiguous (${matches.length} containers)`);
    if (matches.length === 1) {
      const rec = readContainer(ctx, matches[0]!);
      if (rec) return rec;
    }
  }
  throw new ConmanError('ENOSUCHCTR', `no container with name or ID "${ref}" found: no such container`);
}

/**
 * Creates a container's directory and record atomically: built under containers/.tmp-<id>, then the name is
 * claimed with an atomic symlink(2) and the directory renamed into place. The global lock is taken only to
 * replace a stale name (whose container is neither there nor being created), so parallel creates of different
 * names never wait for each other, and of ten creates of one name exactly one wins.
 * `fill` gets the directory being built and `at`, which maps a path of the finished container directory
 * (a layout.ts helper's) to where it lies meanwhile.
 */
export async function allocateContainer(
  ctx: Context,
  rec: ContainerRecord,
  fill: (dir: string, at: (finalPath: string) => string) => void,
): Promise<void> {
  const base = containersDir(ctx);
  ensureStore(ctx);
  fs.mkdirSync(namesDir(ctx), { recursive: true });
  const tmp = containerTmpDir(ctx, rec.id);
  const at = (finalPath: string) => path.join(tmp, path.relative(containerDir(ctx, rec.id), finalPath));
  const link = nameLink(ctx, rec.name);
  const inUse = (id: string) => fs.existsSync(containerDir(ctx, id)) || fs.existsSync(containerTmpDir(ctx, id));
  const claim = (): boolean => {
    try {
      fs.symlinkSync(rec.id, link);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return false;
    }
  };
  const nameInUse = (by: string | undefined) =>
    new ConmanError(
      'ENAMEINUSE',
      `the container name "${rec.name}" is already in use by ${by ?? 'another container'}. You have to remove that container to be able to reuse that name: that name is already in use`,
      { hint: `use --replace, or conman rm -f ${rec.name}` },
    );
  fs.mkdirSync(tmp, { recursive: true });
  let claimed = false;
  try {
    fill(tmp, at);
    writeJsonAtomic(at(containerFile(ctx, rec.id)), rec, undefined, !rec.config.autoRemove);
    if (!claim()) {
      await withLock(containersLock(ctx), () => {
        const existing = lookupName(ctx, rec.name);
        if (existing !== undefined && inUse(existing)) throw nameInUse(existing);
        fs.rmSync(link, { force: true }); // stale: its container is gone
        if (!claim()) throw nameInUse(lookupName(ctx, rec.name));
      });
    }
    claimed = true;
    fs.renameSync(tmp, containerDir(ctx, rec.id));
    sweepLeftovers(base);
  } catch (e) {
    if (claimed && lookupName(ctx, rec.name) === rec.id) fs.rmSync(link, { force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Drops `.tmp-*` (a create killed midway) and `.rm-*` (a removal killed midway) older than ten minutes. */
function sweepLeftovers(base: string): void {
  try {
    const old = Date.now() - 600_000;
    for (const n of fs.readdirSync(base)) {
      if (!n.startsWith('.tmp-') && !n.startsWith('.rm-')) continue;
      const p = path.join(base, n);
      try {
        if (fs.statSync(p).mtimeMs < old) fs.rmSync(p, { recursive: true, force: true });
      } catch {
        /* raced with its owner */
      }
    }
  } catch {
    /* best effort */
  }
}

/** Removes a container's directory and name. The caller has made sure nothing is mounted or running. */
export async function releaseContainer(ctx: Context, rec: ContainerRecord): Promise<void> {
  const dir = containerDir(ctx, rec.id);
  const gone = containerGoneDir(ctx, rec.id);
  // the name first, while the directory still exists (so nobody can take the link for stale meanwhile)
  if (lookupName(ctx, rec.name) === rec.id) fs.rmSync(nameLink(ctx, rec.name), { force: true });
  try {
    fs.renameSync(dir, gone);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  fs.rmSync(gone, { recursive: true, force: true });
}

/** Runs fn under the container's lock with a fresh record; fails if the container vanished meanwhile. */
export async function withContainer<T>(ctx: Context, id: string, fn: (rec: ContainerRecord) => Promise<T> | T): Promise<T> {
  if (!fs.existsSync(containerFile(ctx, id))) throw new ConmanError('ENOSUCHCTR', `container ${id} no longer exists`);
  return withLock(containerLock(ctx, id), async () => {
    const rec = readContainer(ctx, id);
    if (!rec) throw new ConmanError('ENOSUCHCTR', `container ${id} no longer exists`);
    return fn(rec);
  });
}
