/**
 * The on-disk layout, in one place. Documented for users in man/conman.1.md (FILES).
 *
 * <root>/store.json                      schema version of the store
 * <root>/images/images.json              image records (names, ids, layers)       [CLI, under images.lock]
 * <root>/images/blobs/sha256/<hex>        manifests and configs
 * <root>/images/layers/<hex>/diff         one unpacked layer, keyed by its diffID (an overlay lowerdir)
 * <root>/containers/<id>/container.json   container config + state               [CLI and shim cleanup, under its lock]
 * <root>/containers/<id>/exit.json        exit record                             [shim only]
 * <root>/containers/<id>/ctr.log          k8s-file log                            [shim only]
 * <root>/containers/<id>/{upper,work,merged,bundle}  overlay dirs and the OCI bundle
 * <runroot>/alive                         boot id: absent or different means a reboot happened
 * <runroot>/runc                          runc --root
 * <runroot>/<id12>/                       per-container volatile dir: shim.pid, attach socket, netns
 */
import path from 'node:path';
import type { Context } from '../base/context.js';

export const STORE_SCHEMA_VERSION = 1;

export const storeFile = (ctx: Context) => path.join(ctx.root, 'store.json');
export const imagesDir = (ctx: Context) => path.join(ctx.root, 'images');
export const imagesLock = (ctx: Context) => path.join(ctx.root, 'images', 'images.lock');
export const blobsDir = (ctx: Context) => path.join(ctx.root, 'images', 'blobs', 'sha256');
export const layersDir = (ctx: Context) => path.join(ctx.root, 'images', 'layers');
export const containersDir = (ctx: Context) => path.join(ctx.root, 'containers');
/** The global container lock: held only to allocate or release names and ids. */
export const containersLock = (ctx: Context) => path.join(ctx.root, 'containers', 'containers.lock');
export const containerDir = (ctx: Context, id: string) => path.join(ctx.root, 'containers', id);
export const containerLock = (ctx: Context, id: string) => path.join(ctx.root, 'containers', id, 'lock');
export const runcRoot = (ctx: Context) => path.join(ctx.runroot, 'runc');
export const aliveFile = (ctx: Context) => path.join(ctx.runroot, 'alive');
export const volatileDir = (ctx: Context, id: string) => path.join(ctx.runroot, id.slice(0, 12));
export const networksDir = (ctx: Context) => path.join(ctx.root, 'networks');
export const tmpDir = (ctx: Context) => path.join(ctx.root, 'tmp');
