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
    const { listContainers } = await import('../core/container/query.js');
    const lc = await import('../core/container/lifecycle.js');
    await lc.reconcileAfterReboot(ctx);
    for (const r of await listContainers(ctx)) {
      if (r.state.status !== 'exited' && r.state.status !== 'created') continue;
      let skip = false;
      for (const f of a.filter === undefined ? [] : ([] as string[]).concat(a.filter)) {
        const m = /^label=([^=]+)(?:=(.*))?$/.exec(f);
        if (m) skip ||= m[2] === undefined ? !(m[1]! in r.config.labels) : r.config.labels[m[1]!] !== m[2];
      }
      if (skip) continue;
      try {
        await lc.removeContainer(ctx, r.id, {});
        process.stdout.write(`${r.id}\n`);
      } catch (e) {
        process.stderr.write(`conman: ${(e as Error).message}\n`);
      }
    }
  },
};
