import type { Command } from './types.js';

export const tagCommand: Command = {
  command: 'tag <image> <names..>',
  describe: 'Add names to an image',
  builder: (y) => y.positional('image', { type: 'string' }).positional('names', { type: 'string', array: true }),
  handler: async (argv) => {
    const { tagImage } = await import('../core/image/ops.js');
    await tagImage(argv.ctx, String(argv.image), (argv.names as string[]).map(String));
  },
};
