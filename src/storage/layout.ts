/**
 * The on-disk layout, in one place: every path conman reads or writes under its roots is named here and
 * nowhere else. Documented for users in man/conman.1.md (FILES).
 *
 * <root>/store.json                            schema version of the store
 * <root>/images/images.json                    image records (names, ids, layers)       [under images.lock]
 * <root>/images/blobs/sha256/<hex>             manifests and configs
 * <root>/images/layers/<hex>/{diff,meta.json,tar-split.gz,files.json}  one unpacked layer, keyed by its diffID
 * <root>/images/digests/<hex>                  compressed digest -> ../layers/<diffID hex> (symlink)
 * <root>/containers/names/<name>               name -> id (symlink)
 * <root>/containers/<id>/container.json        container config + state                 [CLI and shim cleanup, under its lock]
 * <root>/containers/<id>/exit.json             exit record                               [shim only]
 * <root>/containers/<id>/ctr.log               k8s-file log                              [shim only]
 * <root>/containers/<id>/{upper,work,merged,bundle}  overlay dirs and the OCI bundle
 * <root>/containers/<id>/{hosts,hostname,resolv.conf}  bind-mounted into the container
 * <root>/networks/<name>.conflist              CNI network configs                       [under networks.lock]
 * <root>/tmp/{layer,lease,rm}-<pid>-*          in-flight unpacks, layer leases, removals
 * <runroot>/alive                              boot id: absent or different means a reboot happened
 * <runroot>/runc                               runc --root
 * <runroot>/<id12>/{pid,runc.log,attach}       per-container volatile dir
 * <runroot>/exited/<id>                        exit codes of removed --rm containers, for `wait`
 * <runroot>/networks/{ctr,locks,up,ipam}       network state of running containers
 */
import path from 'node:path';
import type { Context } from '../base/context.js';
import { DEFAULT_RUNROOT } from '../base/context.js';

export const STORE_SCHEMA_VERSION = 1;

const hex = (digest: string) => digest.replace(/^sha256:/, '');

export const storeFile = (ctx: Context) => path.join(ctx.root, 'store.json');
export const tmpDir = (ctx: Context) => path.join(ctx.root, 'tmp');

// ---------------------------------------------------------------- images
export const imagesDir = (ctx: Context) => path.join(ctx.root, 'images');
export const imagesFile = (ctx: Context) => path.join(ctx.root, 'images', 'images.json');
export const imagesLock = (ctx: Context) => path.join(ctx.root, 'images', 'images.lock');
export const blobsDir = (ctx: Context) => path.join(ctx.root, 'images', 'blobs', 'sha256');
export const blobPath = (ctx: Context, digest: string) => path.join(blobsDir(ctx), hex(digest));
export const layersDir = (ctx: Context) => path.join(ctx.root, 'images', 'layers');
/** One layer's directory, keyed by its diffID (`sha256:` optional). */
export const layerDir = (ctx: Context, diffID: string) => path.join(layersDir(ctx), hex(diffID));
/** The overlay lowerdir of a layer. */
export const layerDiffDir = (ctx: Context, diffID: string) => path.join(layerDir(ctx, diffID), 'diff');
export const layerMetaFile = (ctx: Context, diffID: string) => path.join(layerDir(ctx, diffID), 'meta.json');
/** The compressed-digest -> diffID index. */
export const digestsDir = (ctx: Context) => path.join(ctx.root, 'images', 'digests');
export const digestLink = (ctx: Context, digest: string) => path.join(digestsDir(ctx), hex(digest));

// ---------------------------------------------------------------- containers
export const containersDir = (ctx: Context) => path.join(ctx.root, 'containers');
/** The global container lock: held only to allocate or release names and ids. */
export const containersLock = (ctx: Context) => path.join(ctx.root, 'containers', 'containers.lock');
export const namesDir = (ctx: Context) => path.join(ctx.root, 'containers', 'names');
export const nameLink = (ctx: Context, name: string) => path.join(namesDir(ctx), name);
export const containerDir = (ctx: Context, id: string) => path.join(ctx.root, 'containers', id);
/** A container's directory while `create` builds it, and while a removal deletes it. */
export const containerTmpDir = (ctx: Context, id: string) => path.join(ctx.root, 'containers', `.tmp-${id}`);
export const containerGoneDir = (ctx: Context, id: string) => path.join(ctx.root, 'containers', `.rm-${id}`);
export const containerLock = (ctx: Context, id: string) => path.join(containerDir(ctx, id), 'lock');
export const containerFile = (ctx: Context, id: string) => path.join(containerDir(ctx, id), 'container.json');
export const exitFile = (ctx: Context, id: string) => path.join(containerDir(ctx, id), 'exit.json');
export const logFile = (ctx: Context, id: string) => path.join(containerDir(ctx, id), 'ctr.log');
export const bundleDir = (ctx: Context, id: string) => path.join(containerDir(ctx, id), 'bundle');
export const specFile = (ctx: Context, id: string) => path.join(containerDir(ctx, id), 'bundle', 'config.json');
export const mergedDir = (ctx: Context, id: string) => path.join(containerDir(ctx, id), 'merged');
export const upperDir = (ctx: Context, id: string) => path.join(containerDir(ctx, id), 'upper');
export const workDir = (ctx: Context, id: string) => path.join(containerDir(ctx, id), 'work');
/** The files a container gets bind-mounted on /etc/{hosts,hostname,resolv.conf}. */
export const etcFile = (ctx: Context, id: string, name: 'hosts' | 'hostname' | 'resolv.conf') => path.join(containerDir(ctx, id), name);
/** The directories inside a container's directory, made by `create`. */
export const CONTAINER_SUBDIRS = ['upper', 'work', 'merged', 'bundle'] as const;

// ---------------------------------------------------------------- volatile
export const runcRoot = (ctx: Context) => path.join(ctx.runroot, 'runc');
export const runcStateDir = (ctx: Context, id: string) => path.join(ctx.runroot, 'runc', id);
export const aliveFile = (ctx: Context) => path.join(ctx.runroot, 'alive');
export const volatileDir = (ctx: Context, id: string) => path.join(ctx.runroot, id.slice(0, 12));
export const pidFile = (ctx: Context, id: string) => path.join(volatileDir(ctx, id), 'pid');
export const runcLogFile = (ctx: Context, id: string) => path.join(volatileDir(ctx, id), 'runc.log');
export const attachSocket = (ctx: Context, id: string) => path.join(volatileDir(ctx, id), 'attach');
/** Exit codes of `--rm` containers that are gone, for a late `wait`. */
export const tombstoneDir = (ctx: Context) => path.join(ctx.runroot, 'exited');

// ---------------------------------------------------------------- networks
export const networksDir = (ctx: Context) => path.join(ctx.root, 'networks');
export const networksLock = (ctx: Context) => path.join(ctx.root, 'networks', 'networks.lock');
export const conflistFile = (ctx: Context, name: string) => path.join(networksDir(ctx), `${name}.conflist`);
/** Per-container network state of running containers. */
export const ctrNetDir = (ctx: Context) => path.join(ctx.runroot, 'networks', 'ctr');
export const ctrNetStateDir = (ctx: Context, id: string) => path.join(ctrNetDir(ctx), id);
export const ctrNetLock = (ctx: Context, id: string) => path.join(ctrNetDir(ctx), `${id}.lock`);
export const netLock = (ctx: Context, net: string) => path.join(ctx.runroot, 'networks', 'locks', `${net}.lock`);
/** Marks a network whose bridge and rules are up. */
export const netUpMarker = (ctx: Context, net: string) => path.join(ctx.runroot, 'networks', 'up', net);
/** host-local's data directory: the default network's is host-wide (its bridge is), others' per store. */
export const ipamDir = (ctx: Context, isDefault: boolean) =>
  isDefault ? path.join(DEFAULT_RUNROOT, 'networks', 'ipam') : path.join(ctx.runroot, 'networks', 'ipam');
