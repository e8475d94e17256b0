/**
 * The native addon (native/conman_native.c): mount, umount, mknod, xattrs, subreaper, waitpid, pipe, spawn —
 * the system calls Node does not expose. Loaded lazily so commands that need none of them don't pay for it.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConmanError } from './errors.js';

export interface Native {
  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string | null): void;
  umount(target: string, flags?: number): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer | string): void;
  llistxattr(path: string): string[];
  lgetxattr(path: string, name: string): Buffer | null;
  setSubreaper(): void;
  waitpid(pid: number, nohang?: boolean): { pid: number; code: number; signal: number } | null;
  /** A new network namespace with lo up, bind-mounted on the existing file `path` (src/core/network/netns.ts). */
  netnsCreate(path: string): void;
  /** pipe2(O_CLOEXEC), optionally F_SETPIPE_SZ (best effort): [readFd, writeFd] (the shim's container stdio: real pipes, not Node's socketpairs) */
  pipe(size?: number): [number, number];
  /** socketpair(AF_UNIX, SOCK_STREAM), both ends O_CLOEXEC */
  socketpair(): [number, number];
  /**
   * vfork + execvpe (no copy of this process, unlike child_process): child fd i = fds[i] (-1: /dev/null), default
   * signal dispositions, own session if setsid. env null: this process's. The caller reaps the child.
   */
  spawn(file: string, argv: string[], env: string[] | null, fds: number[], setsid?: boolean, cwd?: string | null): number;
}

export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_PRIVATE = 1 << 18;
export const MNT_DETACH = 2;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

let cached: Native | undefined;

/** installDir: the directory holding dist/ and native/ (Context.installDir). */
export function native(installDir: string): Native {
  if (cached) return cached;
  const req = createRequire(import.meta.url);
  const file = path.join(installDir, 'native', 'build', 'Release', 'conman_native.node');
  try {
    cached = req(file) as Native;
  } catch (e) {
    throw new ConmanError('EINTERNAL', `cannot load conman's native addon ${file}: ${(e as Error).message}`, {
      hint: 'run `npm run build` in the conman checkout',
      cause: e,
    });
  }
  return cached;
}
