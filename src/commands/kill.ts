import type { Command, WithCtx } from './types.js';
import { forEachRef } from './each.js';

export const killCommand: Command = {
  command: 'kill <containers..>',
  describe: 'Send a signal to one or more running containers',
  builder: (y) =>
    y
      .positional('containers', { type: 'string', array: true })
      .option('signal', { alias: 's', type: 'string', default: 'KILL', describe: 'Signal to send (name or number)' }),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<{ containers: string[]; signal: string }>;
    const { parseSignal } = await import('../core/container/options.js');
    const { killContainer } = await import('../core/container/stop.js');
    const sig = parseSignal(a.signal);
    await forEachRef(a.containers, async (ref) => {
      await killContainer(a.ctx, ref, sig);
      process.stdout.write(`${ref}\n`);
    });
  },
};
