import type { Command } from './types.js';

export const imagePruneCommand: Command = {
  command: 'prune',
  describe: 'Remove unused images (dangling ones; all unused with -a)',
  builder: (y) =>
    y
      .option('all', { alias: 'a', type: 'boolean', describe: 'Remove all images no container uses, not only dangling ones' })
      .option('force', { alias: 'f', type: 'boolean', describe: 'Do not ask for confirmation' }),
  handler: async (argv) => {
    if (!argv.force) {
      const { readLine } = await import('../cli/prompt.js');
      process.stderr.write(
        argv.all
          ? 'WARNING! This command removes all images without at least one container associated with them.\n'
          : 'WARNING! This command removes all dangling images.\n',
      );
      const ans = await readLine('Are you sure you want to continue? [y/N] ');
      if (!/^y(es)?$/i.test(ans.trim())) return;
    }
    const { pruneImages } = await import('../core/image/ops.js');
    for (const id of await pruneImages(argv.ctx, !!argv.all)) process.stdout.write(`${id}\n`);
  },
};
