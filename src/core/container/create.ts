/**
 * `create`: the image found (or pulled), its config merged with the options into a container.json, and the
 * container's directory built and claimed atomically (record.ts). Nothing runs yet: that is start.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { allocateContainer, newId, randomName } from './record.js';
import { DEFAULT_PIDS_LIMIT, findInit, parseEnvList, parseExpose, parseSignal, validateCreate, type CreateOptions } from './options.js';
import { removeContainer } from './remove.js';
import { CONTAINER_SUBDIRS, containerFile, etcFile, logFile } from '../../storage/layout.js';
import { lookupName, type ContainerConfig, type ContainerRecord } from '../../storage/containers.js';

/** The files bind-mounted on /etc/{hostname,hosts,resolv.conf}, written where `at` puts them. */
function etcFiles(ctx: Context, id: string, hostname: string, at: (p: string) => string): void {
  fs.writeFileSync(at(etcFile(ctx, id, 'hostname')), `${hostname}\n`);
  fs.writeFileSync(
    at(etcFile(ctx, id, 'hosts')),
    `127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost localhost.localdomain\n127.0.1.1\t${hostname} ${id.slice(0, 12)}\n`,
  );
  let resolv = '';
  try {
    resolv = fs
      .readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l))
      .join('\n');
  } catch {
    /* none */
  }
  fs.writeFileSync(at(etcFile(ctx, id, 'resolv.conf')), resolv);
}

export async function createContainer(ctx: Context, o: CreateOptions): Promise<ContainerRecord> {
  const v = validateCreate(o);
  const { parseNetFlags, addExposed } = await import('../network/options.js');
  const netv = parseNetFlags(ctx, { ...o.net, network: o.network });
  const images = await import('../image/store.js');
  let img = v.pull === 'always' ? undefined : await images.findImage(ctx, o.image);
  if (!img) {
    if (v.pull === 'never') throw new ConmanError('ENOSUCHIMAGE', `${o.image}: image not known`);
    const po = o.pullOptions ?? {};
    const creds = po.creds ? (await import('../image/auth.js')).parseCredsFlag(po.creds) : undefined;
    img = await images.pullImage(ctx, o.image, { quiet: o.quiet ?? true, onProgress: o.onPullProgress, tlsVerify: po.tlsVerify, creds, authfile: po.authfile });
  }
  const ic = (await images.imageConfig(ctx, img)).config ?? {};
  const lower = images.layerDiffDirs(ctx, img);

  const id = newId();
  const name = o.name ?? randomName();
  const env = new Map<string, string>();
  parseEnvList(ic.Env ?? [], env, ' in the image');
  if (!env.has('PATH')) env.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  if (!env.has('TERM')) env.set('TERM', 'xterm'); // podman sets it for every container
  env.set('container', 'conman');
  for (const [k, val] of v.env) env.set(k, val);
  const hostname = o.hostname ?? (netv.network === 'host' ? os.hostname() : id.slice(0, 12));
  if (!env.has('HOSTNAME')) env.set('HOSTNAME', hostname);

  const entrypoint = v.entrypoint ?? ic.Entrypoint ?? [];
  const cmd = o.command.length ? o.command : v.entrypoint !== undefined ? [] : (ic.Cmd ?? []);
  if (entrypoint.length + cmd.length === 0)
    throw new ConmanError('EINVAL', `no command or entrypoint provided, and no CMD or ENTRYPOINT from image ${o.image}`);

  const imgName = img.names.find((n) => n.endsWith(o.image) || n.endsWith(`/${o.image}:latest`)) ?? img.names[0] ?? img.id;
  const config: ContainerConfig = {
    entrypoint,
    cmd,
    env: [...env].map(([k, val]) => `${k}=${val}`),
    workingDir: o.workdir ?? (ic.WorkingDir || '/'),
    user: o.user ?? (ic.User || ''),
    hostname,
    labels: { ...(ic.Labels ?? {}), ...v.labels },
    mounts: v.mounts,
    readOnly: !!o.readOnly,
    memory: v.memory,
    shmSize: v.shmSize,
    cpus: v.cpus,
    cpuShares: v.cpuShares,
    cpusetCpus: v.cpusetCpus,
    pidsLimit: v.pidsLimit ?? DEFAULT_PIDS_LIMIT,
    stopSignal: v.stopSignal ?? (ic.StopSignal ? parseSignal(ic.StopSignal) : 'SIGTERM'),
    stopTimeout: v.stopTimeout ?? 10,
    autoRemove: !!o.rm,
    interactive: !!o.interactive,
    tty: !!o.tty,
    capAdd: v.capAdd.length ? v.capAdd : undefined,
    capDrop: v.capDrop.length ? v.capDrop : undefined,
    privileged: o.privileged || undefined,
    init: findInit(o),
    ulimits: v.ulimits.length ? v.ulimits : undefined,
    network: netv.network,
    extra: { lowerDirs: lower, net: addExposed(netv.extra, { ...(ic.ExposedPorts ?? {}), ...parseExpose(o.expose ?? []) }) },
  };
  const rec: ContainerRecord = {
    schema: 1,
    id,
    name,
    created: new Date().toISOString(),
    image: { id: img.id, name: imgName },
    config,
    state: { status: 'created', pid: 0, shimPid: 0, exitCode: 0, oomKilled: false },
  };
  if (o.replace && o.name) {
    const old = lookupName(ctx, o.name);
    // (a corrupt container.json still counts: removeContainer -f salvages it)
    if (old && fs.existsSync(containerFile(ctx, old))) await removeContainer(ctx, old, { force: true });
  }
  await allocateContainer(ctx, rec, (dir, at) => {
    for (const d of CONTAINER_SUBDIRS) fs.mkdirSync(path.join(dir, d));
    etcFiles(ctx, id, hostname, at);
    fs.writeFileSync(at(logFile(ctx, id)), '');
  });
  if (o.cidfile) {
    try {
      fs.writeFileSync(o.cidfile, id, { flag: 'wx' });
    } catch (e) {
      await removeContainer(ctx, id, { force: true });
      throw new ConmanError('EINVAL', `cannot write container id file ${o.cidfile}: ${(e as Error).message}`);
    }
  }
  return rec;
}
