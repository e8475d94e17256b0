/**
 * The user a container's process runs as: `user[:group]` (names or numbers) looked up in the container's own
 * /etc/passwd and /etc/group, for the spec of `run`/`start` and for `exec`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConmanError } from '../../base/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home?: string;
}

function readLines(file: string): string[][] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** Resolves `user[:group]` (names or numbers) against the container's /etc/passwd and /etc/group. */
export function resolveUser(rootfs: string, spec: string): ResolvedUser {
  // `:GID` alone means root with that group, as in podman
  const [u0 = '', g] = (spec || '0').split(':', 2);
  const u = u0 === '' ? '0' : u0;
  const passwd = readLines(path.join(rootfs, 'etc', 'passwd'));
  const groups = readLines(path.join(rootfs, 'etc', 'group'));
  let uid: number;
  let gid = 0;
  let home: string | undefined;
  let uname: string | undefined;
  const pw = /^\d+$/.test(u) ? passwd.find((p) => p[2] === u) : passwd.find((p) => p[0] === u);
  if (pw) {
    uid = Number(pw[2]);
    gid = Number(pw[3]);
    home = pw[5];
    uname = pw[0];
  } else if (/^\d+$/.test(u)) {
    uid = Number(u);
    home = '/'; // a uid without a passwd entry: podman's HOME is /
  } else {
    throw new ConmanError('EINVAL', `unable to find user ${u}: no matching entries in passwd file`);
  }
  if (g !== undefined && g !== '') {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const gr = groups.find((x) => x[0] === g);
      if (!gr) throw new ConmanError('EINVAL', `unable to find group ${g}: no matching entries in group file`);
      gid = Number(gr[2]);
    }
  }
  const additionalGids = new Set<number>([gid]);
  if (uname !== undefined && (g === undefined || g === '')) {
    for (const gr of groups) {
      if ((gr[3] ?? '').split(',').includes(uname)) additionalGids.add(Number(gr[2]));
    }
  }
  return { uid, gid, additionalGids: [...additionalGids], home };
}
