/**
 * Executing CNI plugins (https://www.cni.dev/docs/spec/): each plugin is a binary found by its `type` in the
 * CNI path, called with CNI_COMMAND/CNI_CONTAINERID/CNI_NETNS/CNI_IFNAME/CNI_PATH in its environment and its
 * network configuration on stdin. A conflist is a chain: ADD runs the plugins in order, each getting the
 * previous plugin's result as `prevResult`; DEL runs them in reverse, each getting the cached ADD result.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConmanError } from '../../base/errors.js';
import { runTool } from './exec.js';

export const CNI_VERSION = '1.0.0';

/** Where the plugins are looked for: CONMAN_CNI_PATH (colon-separated) or the usual install places. */
export function cniPath(env = process.env): string[] {
  const fromEnv = env.CONMAN_CNI_PATH || env.CNI_PATH;
  if (fromEnv) return fromEnv.split(':').filter(Boolean);
  return ['/usr/lib/cni', '/usr/libexec/cni', '/opt/cni/bin'];
}

export function findPlugin(type: string, dirs = cniPath()): string {
  for (const d of dirs) {
    const p = path.join(d, type);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  throw new ConmanError('ENETWORK', `CNI plugin "${type}" not found in ${dirs.join(':')}`, {
    hint: 'install the CNI plugins (Debian: apt-get install containernetworking-plugins) or set CONMAN_CNI_PATH',
  });
}

export interface PluginConf {
  type: string;
  [key: string]: unknown;
}

export interface Conflist {
  cniVersion: string;
  name: string;
  plugins: PluginConf[];
  [key: string]: unknown;
}

export interface CniResult {
  cniVersion?: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  routes?: unknown[];
  dns?: unknown;
  [key: string]: unknown;
}

export interface CniInvocation {
  containerId: string;
  netns: string;
  ifname: string;
  /** Values for plugins' capabilities (portMappings, ips, ...), injected as runtimeConfig. */
  runtimeConfig?: Record<string, unknown>;
  /** Plugin directories (default cniPath()); kept in the state so the shim's DEL finds the same plugins. */
  cniPath?: string[];
}

/** Runs one plugin; returns its parsed stdout (empty object for DEL). */
export async function execPlugin(
  command: 'ADD' | 'DEL' | 'CHECK',
  netName: string,
  cniVersion: string,
  plugin: PluginConf,
  inv: CniInvocation,
  prevResult: CniResult | undefined,
  dirs = inv.cniPath ?? cniPath(),
): Promise<CniResult> {
  const conf: Record<string, unknown> = { ...plugin, cniVersion, name: netName };
  const caps = (plugin.capabilities ?? {}) as Record<string, boolean>;
  const rc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inv.runtimeConfig ?? {})) if (caps[k] && v !== undefined) rc[k] = v;
  if (Object.keys(rc).length) conf.runtimeConfig = rc;
  if (prevResult) conf.prevResult = prevResult;
  const bin = findPlugin(plugin.type, dirs);
  const r = await runTool(bin, [], {
    input: JSON.stringify(conf),
    env: {
      PATH: process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: inv.containerId,
      CNI_NETNS: inv.netns,
      CNI_IFNAME: inv.ifname,
      CNI_PATH: dirs.join(':'),
    },
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.error) {
    throw new ConmanError('ENETWORK', `CNI ${command} ${plugin.type} on network ${netName}: ${r.error.message}`, { cause: r.error });
  }
  const out = r.stdout;
  if (r.status !== 0) {
    let msg = r.stderr.trim() || `exit ${r.status ?? r.signal}`;
    try {
      const e = JSON.parse(out) as { code?: number; msg?: string; details?: string };
      if (e.msg) msg = e.details ? `${e.msg}: ${e.details}` : e.msg;
    } catch {
      /* not JSON */
    }
    throw new ConmanError('ENETWORK', `CNI ${command} ${plugin.type} on network ${netName}: ${msg}`);
  }
  if (command !== 'ADD') return {};
  try {
    return JSON.parse(out) as CniResult;
  } catch (e) {
    throw new ConmanError('ENETWORK', `CNI ADD ${plugin.type} on network ${netName}: unreadable result: ${out.slice(0, 200)}`, {
      cause: e,
    });
  }
}

/**
 * ADD through a chain. On failure, the plugins that already ran are deleted again (reverse order), so a
 * failed ADD leaves nothing behind, and the error of the failing plugin is thrown.
 */
export async function chainAdd(list: Conflist, plugins: PluginConf[], inv: CniInvocation): Promise<CniResult> {
  let prev: CniResult | undefined;
  const done: PluginConf[] = [];
  try {
    for (const p of plugins) {
      done.push(p);
      prev = await execPlugin('ADD', list.name, list.cniVersion, p, inv, prev);
    }
  } catch (e) {
    await chainDel(list, done, inv, prev);
    throw e;
  }
  return prev ?? {};
}

/** DEL through a chain in reverse order; keeps going past failures and returns their messages. */
export async function chainDel(list: Conflist, plugins: PluginConf[], inv: CniInvocation, result: CniResult | undefined): Promise<string[]> {
  const errors: string[] = [];
  for (const p of [...plugins].reverse()) {
    try {
      await execPlugin('DEL', list.name, list.cniVersion, p, inv, result);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return errors;
}
