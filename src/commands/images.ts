/** `images`: the selection is core/image/query.ts, the output cli/views/image.ts. */
import type { Command } from './types.js';

export const imagesCommand: Command = {
  command: 'images [image]',
  describe: 'List images in local storage',
  builder: (y) =>
    y
      .positional('image', { type: 'string', describe: 'Show only images matching this name' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Print only image ids' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Show all images (conman has no intermediate images)' })
      .option('trunc', { type: 'boolean', default: true, describe: 'Truncate image ids (--no-trunc: show full ids)' })
      .option('noheading', { alias: 'n', type: 'boolean', describe: 'Do not print the header' })
      .option('digests', { type: 'boolean', describe: 'Show digests' })
      .option('filter', { alias: 'f', type: 'string', array: true, describe: 'dangling=true|false, reference=PATTERN' })
      .option('format', { type: 'string', describe: 'json, or a Go template such as {{.Repository}}:{{.Tag}}' }),
  handler: async (argv) => {
    const { queryImages } = await import('../core/image/query.js');
    const views = await import('../cli/views/image.js');
    const { images, inUse } = queryImages(argv.ctx, { name: argv.image as string | undefined, filters: argv.filter as string[] | undefined });
    const noTrunc = argv.trunc === false;
    if (argv.quiet) {
      const seen = new Set<string>();
      for (const i of images) if (!seen.has(i.id)) (seen.add(i.id), process.stdout.write(`${views.showImageId(i.id, noTrunc)}\n`));
      return;
    }
    const fmt = argv.format as string | undefined;
    if (fmt === 'json' || fmt === '{{json .}}') {
      process.stdout.write(JSON.stringify(images.map((i) => views.imageJson(i, inUse)), null, 4) + '\n');
      return;
    }
    const rows = views.imageRows(images, inUse, noTrunc);
    if (fmt) {
      const { renderTemplate } = await import('../cli/format/image.js');
      process.stdout.write(await renderTemplate(fmt, rows));
      return;
    }
    process.stdout.write(views.imagesTable(rows, { digests: !!argv.digests, noheading: !!argv.noheading }));
  },
};
