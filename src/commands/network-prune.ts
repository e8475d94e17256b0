import type { Command, WithCtx } from './types.js';

export const networkPruneCommand: Command = {
  command: 'prune',
  describe: 'Remove all networks no container uses (the default network stays)',
  builder: (y) => y.option('force', { alias: 'f', type: 'boolean', describe: 'Do not ask for confirmation (conman never asks)' }),
  handler: async (argv: unknown) => {
    const a = argv as WithCtx<Record<string, unknown>>;
    const cfg = await import('../core/network/config.js');
    const { networkUsers } = await import('../core/network/usage.js');
    const { cleanupStaleNetworks } = await import('../core/network/index.js');
    await cleanupStaleNetworks(a.ctx);
    for (const n of cfg.listNetworks(a.ctx)) {
      if (n.name === cfg.DEFAULT_NETWORK || networkUsers(a.ctx, n.name).length) continue;
      await cfg.removeNetworkConfig(a.ctx, n.name);
      process.stdout.write(`${n.name}\n`);
    }
  },
};
