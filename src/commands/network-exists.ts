/** `network exists`: exit 0 if the network exists, 1 if not. */
import type { Command, WithCtx } from './types.js';

export const networkExistsCommand: Command = {
  command: 'exists <network>',
  describe: 'Exit 0 if the network exists, 1 if not',
  builder: (y) => y.positional('network', { type: 'string', describe: 'Network name' }),
  handler: async (argv: unknown) => {
    const a = argv as WithCtx<{ network: string }>;
    const cfg = await import('../core/network/config.js');
    const { ExitCodeError } = await import('../base/errors.js');
    if (!cfg.networkExists(a.ctx, a.network)) throw new ExitCodeError(1);
  },
};
