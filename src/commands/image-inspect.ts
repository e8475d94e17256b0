import type { Command } from './types.js';

export const imageInspectCommand: Command = {
  command: 'inspect <images..>',
  describe: 'Show details of images as JSON',
  builder: (y) =>
    y.positional('images', { type: 'string', array: true }).option('format', { alias: 'f', type: 'string', describe: 'json or a Go template' }),
  handler: async (argv) => {
    const { findImage } = await import('../core/image/store.js');
    const { inspectImage } = await import('../core/image/ops.js');
    const { ConmanError } = await import('../base/errors.js');
    const out: Array<Record<string, unknown>> = [];
    let missing: string | undefined;
    for (const ref of argv.images as string[]) {
      const img = await findImage(argv.ctx, String(ref));
      if (!img) {
        missing ??= String(ref);
        continue;
      }
      out.push(await inspectImage(argv.ctx, img));
    }
    const fmt = argv.format as string | undefined;
    if (fmt && fmt !== 'json') {
      const { renderTemplate } = await import('../cli/format/image.js');
      process.stdout.write(await renderTemplate(fmt, out));
    } else process.stdout.write(JSON.stringify(out, null, 4) + '\n');
    if (missing) throw new ConmanError('ENOSUCHIMAGE', `${missing}: image not known`);
  },
};
