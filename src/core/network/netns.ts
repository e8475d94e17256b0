/**
 * Persistent network namespaces as files: the native addon's netnsCreate (or, without it, `unshare --net=FILE
 * ip link set lo up`) bind-mounts a new namespace with lo up onto FILE. runc joins it by path; removing it is umount + unlink.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConmanError } from '../../base/errors.js';
import { MNT_DETACH, native } from '../../base/native.js';
import { runTool } from './exec.js';

export async function createNetns(file: string, installDir = ''): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '', { flag: 'w', mode: 0o444 });
  let addon: ReturnType<typeof native> | undefined;
  try {
    addon = installDir ? native(installDir) : undefined;
  } catch {
    addon = undefined;
  }
  if (addon?.netnsCreate) {
    try {
      addon.netnsCreate(file);
      return;
    } catch (e) {
      await removeNetns(file, installDir);
      throw new ConmanError('ENETWORK', `cannot create network namespace ${file}: ${(e as Error).message}`, {
        hint: 'conman must run as root',
      });
    }
  }
  const r = await runTool('unshare', [`--net=${file}`, 'ip', 'link', 'set', 'lo', 'up'], { timeout: 30_000 });
  if (r.error || r.status !== 0) {
    await removeNetns(file, '');
    const msg = r.error?.message ?? r.stderr.trim();
    throw new ConmanError('ENETWORK', `cannot create network namespace ${file}: ${msg}`, {
      hint: 'conman needs util-linux unshare and iproute2 ip, and must run as root',
    });
  }
}

function isMounted(file: string): boolean {
  try {
    const mi = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    // the kernel writes space, tab, newline and backslash in mount points as octal escapes (\040 ...)
    const unescape = (p: string) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    return mi.split('\n').some((l) => unescape(l.split(' ')[4] ?? '') === file);
  } catch {
    return false;
  }
}

/** Unmounts and deletes a netns file; missing is fine. installDir finds the native addon ('' = use umount(8)). */
export async function removeNetns(file: string, installDir: string): Promise<void> {
  if (!fs.existsSync(file)) return;
  for (let i = 0; i < 4 && isMounted(file); i++) {
    try {
      if (!installDir) throw new Error('no addon');
      native(installDir).umount(file, MNT_DETACH);
    } catch {
      await runTool('umount', ['-l', file]);
    }
  }
  fs.rmSync(file, { force: true });
}

/** The nsfs inode of a netns file (undefined when it is not a namespace). */
export function netnsInode(file: string): number | undefined {
  try {
    const st = fs.statSync(file);
    return st.dev !== fs.statSync(path.dirname(file)).dev ? st.ino : undefined;
  } catch {
    return undefined;
  }
}

/** The inodes of every network namespace some process is in. */
export function liveNetnsInodes(): Set<number> {
  const out = new Set<number>();
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      out.add(fs.statSync(`/proc/${p}/ns/net`).ino);
    } catch {
      /* gone */
    }
  }
  return out;
}
