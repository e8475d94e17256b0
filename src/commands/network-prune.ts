/** `network prune`: removes every network no container uses. */
import type { Command, WithCtx } from './types.js';

export const networkPruneCommand: Command = {
  command: 'prune',
  describe: 'Remove all networks no container uses (the default network stays)',
  builder: (y) => y.option('force', { alias: 'f', type: 'boolean', describe: 'Do not ask for confirmation (conman never asks)' }),
  handler: async (argv: unknown) => {
    const a = argv as WithCtx<Record<string, unknown>>;
    const { pruneNetworks } = await import('../core/network/manage.js');
    for await (const name of pruneNetworks(a.ctx)) process.stdout.write(`${name}\n`);
  },
};
