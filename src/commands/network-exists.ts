import type { Command, WithCtx } from './types.js';

export const networkExistsCommand: Command = {
  command: 'exists <network>',
  describe: 'Exit 0 if the network exists, 1 if not',
  builder: (y) => y.positional('network', { type: 'string', describe: 'Network name' }),
  handler: async (argv: unknown) => {
    const a = argv as WithCtx<{ network: string }>;
    const cfg = await import('../core/network/config.js');
    const { ExitCodeError } = await import('../base/errors.js');
    const n = a.network === 'bridge' || a.network === 'default' ? cfg.DEFAULT_NETWORK : a.network;
    if (n !== cfg.DEFAULT_NETWORK && !cfg.readConflist(a.ctx, n)) throw new ExitCodeError(1);
  },
};
