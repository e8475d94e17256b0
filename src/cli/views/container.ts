/**
 * Containers as podman prints them: the ps STATUS text, ps --format json entries and template fields, the ps
 * table, and the inspect JSON. Pure functions of a record (with its live state filled in).
 */
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { containerDir, logFile } from '../../storage/layout.js';
import { DEFAULT_SHM_SIZE, type ContainerRecord } from '../../storage/containers.js';
import { networkName, networkSettings, portsJson, portsText } from '../../core/network/report.js';
import { humanDuration } from '../time.js';
import { columns } from '../table.js';

export function statusText(rec: ContainerRecord): string {
  const st = rec.state;
  if (st.status === 'running' || st.status === 'stopping') return `Up ${humanDuration(st.startedAt)} ago`;
  if (st.status === 'exited') return `Exited (${st.exitCode}) ${humanDuration(st.finishedAt)} ago`;
  if (st.status === 'created') return 'Created';
  return st.status[0]!.toUpperCase() + st.status.slice(1);
}

/** podman cuts a long command to n characters, the last three of them dots. */
const trunc = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);
const unix = (iso?: string) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);
const ZERO = '0001-01-01T00:00:00Z';

/** A time as Go prints a time.Time (what podman's templates show): 2026-11-23 23:41:30.010635116 +0000 UTC. */
export function goTime(iso: string | undefined): string {
  if (!iso) return '';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(new Date(iso).toISOString());
  if (!m) return iso;
  const frac = (iso.match(/\.(\d+)Z$/)?.[1] ?? m[3] ?? '').replace(/0+$/, '');
  return `${m[1]} ${m[2]}${frac ? `.${frac}` : ''} +0000 UTC`;
}

/** podman ps --format json entry. */
export function psJson(rec: ContainerRecord): Record<string, unknown> {
  const st = rec.state;
  const c = rec.config;
  return {
    AutoRemove: c.autoRemove,
    Command: [...c.entrypoint, ...c.cmd],
    Created: unix(rec.created),
    CreatedAt: rec.created,
    Exited: st.status === 'exited',
    ExitedAt: unix(st.finishedAt),
    ExitCode: st.exitCode,
    Id: rec.id,
    ID: rec.id,
    Image: rec.image.name,
    ImageID: rec.image.id,
    IsInfra: false,
    Labels: c.labels,
    Mounts: c.mounts.map((m) => m.destination),
    Names: [rec.name],
    Namespaces: {},
    Networks: c.network === 'none' || c.network === 'host' ? [] : [networkName(rec)],
    Pid: st.status === 'running' || st.status === 'stopping' ? st.pid : 0,
    Pod: '',
    PodName: '',
    Ports: portsJson(rec),
    StartedAt: unix(st.startedAt),
    State: st.status === 'stopping' ? 'running' : st.status,
    Status: statusText(rec),
  };
}

/** Fields for `ps --format '{{.X}}'` templates (podman's names). */
export function psTemplateFields(rec: ContainerRecord, noTrunc: boolean): Record<string, unknown> {
  const j = psJson(rec);
  const command = [...rec.config.entrypoint, ...rec.config.cmd].join(' ');
  return {
    ...j,
    ID: noTrunc ? rec.id : rec.id.slice(0, 12),
    Names: rec.name,
    Command: noTrunc ? command : trunc(command, 20),
    Created: goTime(rec.created),
    CreatedAt: goTime(rec.created),
    CreatedHuman: `${humanDuration(rec.created)} ago`,
    RunningFor: `${humanDuration(rec.created)} ago`,
    Ports: portsText(rec),
    Networks: (j.Networks as string[]).join(','),
    Labels: rec.config.labels,
    Size: '',
  };
}

/** podman's column titles for ps --format 'table ...' */
export const PS_HEADERS: Record<string, string> = { ID: 'CONTAINER ID', RunningFor: 'CREATED', CreatedAt: 'CREATED AT', ImageID: 'IMAGE ID', CreatedHuman: 'CREATED' };

/** The default `ps` table. */
export function psTable(list: ContainerRecord[], noTrunc: boolean): string {
  const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']];
  for (const r of list) {
    const cmd = [...r.config.entrypoint, ...r.config.cmd].join(' ');
    rows.push([
      noTrunc ? r.id : r.id.slice(0, 12),
      r.image.name,
      noTrunc ? cmd : trunc(cmd, 20),
      `${humanDuration(r.created)} ago`,
      statusText(r),
      portsText(r),
      r.name,
    ]);
  }
  return columns(rows);
}

/** `inspect` of a container: podman's JSON shape, with conman's paths. */
export function inspectJson(ctx: Context, rec: ContainerRecord): Record<string, unknown> {
  const st = rec.state;
  const c = rec.config;
  const dir = containerDir(ctx, rec.id);
  const args = [...c.entrypoint, ...c.cmd];
  return {
    Id: rec.id,
    Created: rec.created,
    Path: args[0] ?? '',
    Args: args.slice(1),
    State: {
      OciVersion: '1.0.2',
      Status: st.status === 'stopping' ? 'running' : st.status,
      Running: st.status === 'running' || st.status === 'stopping',
      Paused: false,
      Restarting: false,
      OOMKilled: !!st.oomKilled,
      Dead: false,
      Pid: st.status === 'running' || st.status === 'stopping' ? st.pid : 0,
      ConmonPid: st.status === 'running' || st.status === 'stopping' ? st.shimPid : 0,
      ExitCode: st.exitCode,
      Error: st.error ?? '',
      StartedAt: st.startedAt ?? ZERO,
      FinishedAt: st.finishedAt ?? ZERO,
    },
    Image: rec.image.id,
    ImageName: rec.image.name,
    Rootfs: '',
    ResolvConfPath: path.join(dir, 'resolv.conf'),
    HostnamePath: path.join(dir, 'hostname'),
    HostsPath: path.join(dir, 'hosts'),
    StaticDir: dir,
    OCIConfigPath: path.join(dir, 'bundle', 'config.json'),
    OCIRuntime: path.basename(ctx.runtime),
    LogPath: logFile(ctx, rec.id),
    Name: rec.name,
    RestartCount: 0,
    Driver: 'overlay',
    MountLabel: '',
    ProcessLabel: '',
    Mounts: c.mounts.map((m) => ({
      Type: m.type,
      Source: m.source,
      Destination: m.destination,
      Driver: '',
      Mode: '',
      Options: m.options,
      RW: !m.readonly,
      Propagation: m.type === 'bind' ? 'rprivate' : '',
    })),
    GraphDriver: { Name: 'overlay', Data: { UpperDir: path.join(dir, 'upper'), WorkDir: path.join(dir, 'work'), MergedDir: path.join(dir, 'merged') } },
    Config: {
      Hostname: c.hostname,
      Domainname: '',
      User: c.user,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: c.tty,
      OpenStdin: c.interactive,
      StdinOnce: false,
      Env: c.env,
      Cmd: c.cmd,
      Image: rec.image.name,
      Volumes: null,
      WorkingDir: c.workingDir,
      Entrypoint: c.entrypoint,
      Labels: c.labels,
      Annotations: {},
      StopSignal: c.stopSignal,
      StopTimeout: c.stopTimeout,
    },
    HostConfig: {
      AutoRemove: c.autoRemove,
      Memory: c.memory ?? 0,
      ShmSize: c.shmSize ?? DEFAULT_SHM_SIZE,
      NanoCpus: c.cpus ? Math.round(c.cpus * 1e9) : 0,
      CpuQuota: c.cpus ? Math.round(c.cpus * 100000) : 0,
      CpuPeriod: c.cpus ? 100000 : 0,
      CpuShares: c.cpuShares ?? 0,
      CpusetCpus: c.cpusetCpus ?? '',
      PidsLimit: c.pidsLimit ?? 0,
      ReadonlyRootfs: c.readOnly,
      NetworkMode: c.network,
      Binds: c.mounts.filter((m) => m.type === 'bind').map((m) => `${m.source}:${m.destination}${m.readonly ? ':ro' : ''}`),
      Tmpfs: Object.fromEntries(c.mounts.filter((m) => m.type === 'tmpfs').map((m) => [m.destination, m.options.join(',')])),
    },
    NetworkSettings: networkSettings(rec),
  };
}
