/**
 * The container files as stored: container.json (config + state) and exit.json, their types, and the
 * readers and writer every layer above uses. Readers never lock (files are replaced atomically); writers
 * hold the container's lock (src/core/container/record.ts). A file of the wrong shape is an ESTATE error
 * that names it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../base/context.js';
import { readJson, writeJsonAtomic } from './atomic.js';
import { checked, ContainerSchema, ExitSchema } from './schema.js';
import { containerFile, containersDir, exitFile, nameLink } from './layout.js';

export type Status = 'created' | 'running' | 'stopping' | 'exited' | 'removing';

export interface MountSpec {
  type: 'bind' | 'tmpfs';
  source: string;
  destination: string;
  options: string[];
  readonly: boolean;
}

/** Everything `create` decided; the OCI spec is built from this (and rebuilt on every start). */
/** /dev/shm's size without --shm-size: 64 MiB, as podman */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

export interface ContainerConfig {
  /** the command as resolved: entrypoint + cmd */
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  /** as the user gave it (or the image's User) */
  user: string;
  hostname: string;
  labels: Record<string, string>;
  mounts: MountSpec[];
  readOnly: boolean;
  memory?: number;
  /** --shm-size in bytes (default DEFAULT_SHM_SIZE) */
  shmSize?: number;
  cpus?: number;
  cpuShares?: number;
  /** --cpuset-cpus, as given (checked) */
  cpusetCpus?: string;
  pidsLimit?: number;
  stopSignal: string;
  stopTimeout: number;
  autoRemove: boolean;
  interactive: boolean;
  tty: boolean;
  /** none | host | (later) a network name: the networking area fills this in. */
  network: string;
  /** --cap-add / --cap-drop (CAP_ names, or ALL) and --privileged */
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  /** --init: the host path of the init (catatonit, tini) run as PID 1 in front of the command */
  init?: string;
  /** --ulimit, already checked against the host's hard limits */
  ulimits?: Array<{ type: string; soft: number; hard: number }>;
  /** extra data other areas may attach (ports, networks, ...) */
  extra?: Record<string, unknown>;
}

export interface ContainerState {
  status: Status;
  pid: number;
  /** start time (clock ticks since boot, /proc/PID/stat field 22) of pid, to tell it from a reused pid */
  pidStart?: string;
  shimPid: number;
  shimStart?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode: number;
  error?: string;
  oomKilled: boolean;
  /** the overlay is mounted on merged/ */
  mounted?: boolean;
  /** boot id when started, for reboot detection */
  bootId?: string;
}

export interface ContainerRecord {
  schema: 1;
  id: string;
  name: string;
  created: string;
  image: { id: string; name: string };
  config: ContainerConfig;
  state: ContainerState;
}

export interface ExitRecord {
  exitCode: number;
  finishedAt: string;
  signal?: number;
  error?: string;
  oomKilled?: boolean;
}

export function readContainer(ctx: Context, id: string): ContainerRecord | undefined {
  const file = containerFile(ctx, id);
  const rec = readJson<unknown>(file);
  return rec === undefined ? undefined : checked<ContainerRecord>(file, ContainerSchema, rec);
}

export function writeContainer(ctx: Context, rec: ContainerRecord): void {
  // a --rm container's record is not fsynced (atomic rename only): it is removed when the container exits, and
  // after a crash the reboot reconcile finds it exited either way. Each fsync cost 2-20 ms on this shared disk.
  writeJsonAtomic(containerFile(ctx, rec.id), rec, undefined, !rec.config.autoRemove);
}

export function readExit(ctx: Context, id: string): ExitRecord | undefined {
  try {
    const file = exitFile(ctx, id);
    const ex = readJson<unknown>(file);
    return ex === undefined ? undefined : checked<ExitRecord>(file, ExitSchema, ex);
  } catch {
    return undefined;
  }
}

/** All container ids on disk (directories holding a container.json). */
export function listIds(ctx: Context): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(containersDir(ctx));
  } catch {
    return [];
  }
  return names.filter((n) => n.length === 64 && /^[0-9a-f]+$/.test(n));
}

export function lookupName(ctx: Context, name: string): string | undefined {
  try {
    return fs.readlinkSync(nameLink(ctx, name));
  } catch {
    return undefined;
  }
}

/**
 * Every container record on disk, those still being built by a `create` (`.tmp-<id>`) included: what holds an
 * image's layers. Unreadable records are skipped.
 */
export function listRecordsWithPending(ctx: Context): ContainerRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(containersDir(ctx));
  } catch {
    return [];
  }
  const out: ContainerRecord[] = [];
  for (const n of names) {
    if (n.startsWith('.rm-') || n === 'names') continue;
    try {
      const rec = readJson<ContainerRecord>(path.join(containersDir(ctx), n, 'container.json'));
      if (rec) out.push(rec);
    } catch {
      /* corrupt, or not a directory: names nothing we could trust */
    }
  }
  return out;
}
