/**
 * A network's host side, done once per network (not per container): the bridge device with the gateway
 * address, one masquerade rule for the subnet, and the isolation rules that keep different conman networks
 * from reaching each other through the host. Per-container plumbing (veth, IPAM, port forwarding) is left to
 * the CNI plugins. Rules are read with one iptables-save and written with one iptables-restore --noflush,
 * adding only what is missing and deleting only what is there, so both directions are idempotent.
 *
 * filter: FORWARD -> CONMAN-FORWARD: `-i BR ! -o BR -j CONMAN-ISOLATION` (first), `-i BR -j ACCEPT`, `-o BR -j ACCEPT`
 *         CONMAN-ISOLATION: `-o BR -j DROP` (a packet from one conman bridge to another is dropped)
 * nat:    POSTROUTING: `-s SUBNET ! -o BR -j MASQUERADE`
 */
import fs from 'node:fs';
import { ConmanError } from '../../base/errors.js';
import { runTool } from './exec.js';

export interface BridgeNet {
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
}

export function bridgeExists(bridge: string): boolean {
  return fs.existsSync(`/sys/class/net/${bridge}`);
}

/** Names of the ports (veths) attached to a bridge. */
export function bridgePorts(bridge: string): string[] {
  try {
    return fs.readdirSync(`/sys/class/net/${bridge}/brif`);
  } catch {
    return [];
  }
}

async function run(cmd: string, args: string[], input?: string): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await runTool(cmd, args, { input: input ?? '', timeout: 60_000 });
  if (r.error) throw new ConmanError('ENETWORK', `${cmd}: ${r.error.message}`, { hint: 'install iproute2 and iptables' });
  return { ok: r.status === 0, out: r.stdout, err: r.stderr.trim() };
}

function rulesFor(n: BridgeNet): { filter: string[]; nat: string[] } {
  const b = n.bridge;
  return {
    filter: [
      `-A CONMAN-FORWARD -i ${b} ! -o ${b} -j CONMAN-ISOLATION`,
      `-A CONMAN-FORWARD -i ${b} -j ACCEPT`,
      `-A CONMAN-FORWARD -o ${b} -j ACCEPT`,
      `-A CONMAN-ISOLATION -o ${b} -j DROP`,
    ],
    nat: [`-A POSTROUTING -s ${n.subnet} ! -o ${b} -j MASQUERADE`],
  };
}

interface Saved {
  chains: Set<string>;
  rules: Set<string>;
}

async function save(table: string): Promise<Saved> {
  const r = await run('iptables-save', ['-t', table]);
  if (!r.ok) throw new ConmanError('ENETWORK', `iptables-save -t ${table}: ${r.err}`);
  const chains = new Set<string>();
  const rules = new Set<string>();
  for (const line of r.out.split('\n')) {
    if (line.startsWith(':')) chains.add(line.slice(1).split(' ')[0]!);
    else if (line.startsWith('-A ')) rules.add(line.trim());
  }
  return { chains, rules };
}

async function restore(script: string, what: string): Promise<void> {
  const r = await run('iptables-restore', ['-w', '--noflush'], script);
  if (!r.ok) throw new ConmanError('ENETWORK', `${what}: iptables-restore: ${r.err}`);
}

/** Adds the network's firewall rules that are missing. */
export async function ensureRules(n: BridgeNet): Promise<void> {
  const want = rulesFor(n);
  const f = await save('filter');
  const nat = await save('nat');
  let fs1 = '';
  if (!f.chains.has('CONMAN-FORWARD')) fs1 += ':CONMAN-FORWARD - [0:0]\n';
  if (!f.chains.has('CONMAN-ISOLATION')) fs1 += ':CONMAN-ISOLATION - [0:0]\n';
  if (!f.rules.has('-A FORWARD -j CONMAN-FORWARD')) fs1 += '-I FORWARD 1 -j CONMAN-FORWARD\n';
  const [iso, ...rest] = want.filter;
  // The isolation jump goes first so that no bridge's ACCEPT lets cross-network traffic through.
  if (!f.rules.has(iso!)) fs1 += iso!.replace('-A CONMAN-FORWARD', '-I CONMAN-FORWARD 1') + '\n';
  for (const r of rest) if (!f.rules.has(r)) fs1 += r + '\n';
  let ns = '';
  for (const r of want.nat) if (!nat.rules.has(r)) ns += r + '\n';
  let script = '';
  if (fs1) script += `*filter\n${fs1}COMMIT\n`;
  if (ns) script += `*nat\n${ns}COMMIT\n`;
  if (script) await restore(script, `network ${n.name}: adding firewall rules`);
}

/** Deletes the network's firewall rules that are present (the shared chains stay). */
export async function removeRules(n: BridgeNet): Promise<void> {
  const want = rulesFor(n);
  const f = await save('filter');
  const nat = await save('nat');
  let script = '';
  const fdel = want.filter.filter((r) => f.rules.has(r)).map((r) => r.replace(/^-A /, '-D '));
  const ndel = want.nat.filter((r) => nat.rules.has(r)).map((r) => r.replace(/^-A /, '-D '));
  if (fdel.length) script += `*filter\n${fdel.join('\n')}\nCOMMIT\n`;
  if (ndel.length) script += `*nat\n${ndel.join('\n')}\nCOMMIT\n`;
  if (script) await restore(script, `network ${n.name}: removing firewall rules`);
}

/**
 * Creates the bridge with its gateway address (claiming the name and the subnet on the host, so other stores
 * see them in use) and its rules. Returns false when the bridge already existed (nothing done).
 */
export async function ensureBridge(n: BridgeNet): Promise<boolean> {
  if (bridgeExists(n.bridge)) return false;
  const prefix = n.subnet.split('/')[1];
  const r = await run('ip', ['-batch', '-'], [
    `link add name ${n.bridge} type bridge`,
    `addr add ${n.gateway}/${prefix} dev ${n.bridge}`,
    `link set ${n.bridge} up`,
    '',
  ].join('\n'));
  if (!r.ok) {
    if (/File exists/.test(r.err) && bridgeExists(n.bridge)) return false; // another command made it just now
    await run('ip', ['link', 'del', n.bridge]);
    throw new ConmanError('ENETWORK', `network ${n.name}: cannot create bridge ${n.bridge}: ${r.err}`);
  }
  try {
    await ensureRules(n);
  } catch (e) {
    await run('ip', ['link', 'del', n.bridge]);
    throw e;
  }
  return true;
}

/** Deletes the bridge (if no container is attached to it) and the network's rules. */
export async function removeBridge(n: BridgeNet): Promise<void> {
  await removeRules(n);
  if (bridgeExists(n.bridge) && bridgePorts(n.bridge).length === 0) await run('ip', ['link', 'del', n.bridge]);
}
