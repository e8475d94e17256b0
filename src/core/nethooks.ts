/**
 * The two places where container networking plugs into the lifecycle (issue 5 fills these in):
 * - setupNetworkHook: called by startContainer under the container's lock, after the rootfs is mounted and
 *   before the spec is written and the shim starts runc. Returns a netns path to join (undefined: runc makes
 *   a fresh empty one, i.e. `--network none`; ignored for `--network host`) and extra bind mounts.
 * - teardownNetworkHook: called by cleanupContainer (in the shim when the container exits, or by rm/start
 *   when the shim died) under the container's lock. Must be idempotent.
 * Keep imports here lazy: this module is bundled into the shim.
 */
import type { Context } from './context.js';
import type { ContainerRecord } from './containers.js';

export interface NetworkSetup {
  netnsPath?: string;
  extraMounts?: Array<{ source: string; destination: string; readonly?: boolean }>;
}

export async function setupNetworkHook(_ctx: Context, _rec: ContainerRecord): Promise<NetworkSetup> {
  return {};
}

export async function teardownNetworkHook(_ctx: Context, _rec: ContainerRecord): Promise<void> {
  /* nothing for none/host */
}
