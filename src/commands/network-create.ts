/** `network create`: a bridge network (the name, subnet and bridge are chosen by the core when not given). */
import type { Command, WithCtx } from './types.js';
import { ConmanError } from '../base/errors.js';

export const networkCreateCommand: Command = {
  command: 'create [name]',
  describe: 'Create a bridge network',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'Network name (default: conmanN)' })
      .option('driver', { alias: 'd', type: 'string', default: 'bridge', describe: 'Network driver (only bridge)' })
      .option('subnet', { type: 'string', describe: 'Subnet in CIDR form, e.g. 10.90.1.0/24 (default: a free /24)' })
      .option('gateway', { type: 'string', describe: 'Gateway address in the subnet (default: the first address)' })
      .option('interface-name', { type: 'string', describe: 'Name of the bridge device (default: conmanN)' })
      .option('internal', { type: 'boolean', describe: 'No route out of the network (no default route, no masquerade)' })
      .option('label', { type: 'string', array: true, describe: 'Set metadata (KEY=VALUE)' })
      .option('ignore', { type: 'boolean', describe: 'Do not fail if the network already exists' }),
  handler: async (argv: unknown) => {
    const a = argv as WithCtx<{ name?: string; driver: string; subnet?: string; gateway?: string; interfaceName?: string; internal?: boolean; label?: string[]; ignore?: boolean }>;
    if (a.driver !== 'bridge') throw new ConmanError('EINVAL', `unsupported network driver ${a.driver}: only bridge is supported`);
    const cfg = await import('../core/network/config.js');
    const labels: Record<string, string> = {};
    for (const l of a.label ?? []) {
      const i = l.indexOf('=');
      labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
    }
    // no name: the core picks the first free conmanN under the networks lock
    const net = await cfg.createNetwork(a.ctx, a.name || undefined, {
      subnet: a.subnet,
      gateway: a.gateway,
      bridge: a.interfaceName,
      internal: a.internal,
      labels,
      ignoreExisting: a.ignore,
    });
    process.stdout.write(`${net.name}\n`);
  },
};
