/** `container prune`: removes the exited and created containers core/container/query.ts selects. */
import type { Command, WithCtx } from './types.js';

export const containerPruneCommand: Command = {
  command: 'prune',
  describe: 'Remove all stopped containers',
  builder: (y) =>
    y
      .option('force', { alias: 'f', type: 'boolean', describe: 'Do not ask for confirmation' })
      .option('filter', { type: 'string', describe: 'label=KEY[=VALUE]' }),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<{ force?: boolean; filter?: string[] }>;
    const ctx = a.ctx;
    const { pruneCandidates } = await import('../core/container/query.js');
    const { removeContainer } = await import('../core/container/remove.js');
    for (const r of await pruneCandidates(ctx, a.filter === undefined ? [] : ([] as string[]).concat(a.filter))) {
      try {
        await removeContainer(ctx, r.id, {});
        process.stdout.write(`${r.id}\n`);
      } catch (e) {
        process.stderr.write(`conman: ${(e as Error).message}\n`);
      }
    }
  },
};
