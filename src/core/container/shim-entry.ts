/**
 * The shim's only way into the core (src/shim/main.ts loads this file with `await import()` when its
 * container exits, or early for a foreground run): builds a Context from the shim's start config and runs
 * the container's cleanup. Everything the core needs for that is loaded through here, and only then.
 *
 * In dist/ this file is a bundle of its own (shim-cleanup.cjs, scripts/build.mjs), read when a container
 * exits: a shim started by an older build loads the newest one. Its two exports are a contract with running
 * shims: keep them (and the ShimConfig fields they read) compatible.
 */
import { makeContext, type Context } from '../../base/context.js';
import type { ExitRecord } from '../../storage/containers.js';
import type { ShimConfig } from '../../shim/protocol.js';
import { cleanupContainer, dropRuncState } from './cleanup.js';

function contextOf(c: ShimConfig): Context {
  return makeContext({ root: c.root, runroot: c.runroot, runtime: c.runtime }, c.installDir, {});
}

/**
 * `runc run -d` leaves runc's state and cgroups behind: drop them while the container still counts as
 * running (before exit.json is written), so that a `start` cannot race with this.
 */
export function dropRuntimeState(c: ShimConfig): void {
  dropRuncState(contextOf(c), c.id);
}

/** After exit.json is written: unmount, network teardown, persist the exited state; --rm removes. */
export async function cleanupAfterExit(c: ShimConfig, exit: ExitRecord): Promise<void> {
  await cleanupContainer(contextOf(c), c.id, { exit });
}
