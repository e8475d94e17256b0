import type { Command } from './types.js';

export const loadCommand: Command = {
  command: 'load',
  describe: 'Load images from a docker-archive or oci-archive tarball',
  builder: (y) =>
    y
      .option('input', { alias: 'i', type: 'string', describe: 'Read from this file instead of stdin' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress progress output' }),
  handler: async (argv) => {
    const { loadArchive } = await import('../core/image/load-save.js');
    const { progressReporter } = await import('../cli/progress.js');
    const names = await loadArchive(argv.ctx, argv.input as string | undefined, { quiet: !!argv.quiet, onProgress: progressReporter() });
    process.stdout.write(`Loaded image: ${names.join('\nLoaded image: ')}\n`);
  },
};

export const saveCommand: Command = {
  command: 'save <images..>',
  describe: 'Save images to a docker-archive or oci-archive tarball',
  builder: (y) =>
    y
      .positional('images', { type: 'string', array: true })
      .option('output', { alias: 'o', type: 'string', describe: 'Write to this file (default stdout, which must not be a terminal)' })
      .option('format', { type: 'string', choices: ['docker-archive', 'oci-archive'], default: 'docker-archive' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress progress output' }),
  handler: async (argv) => {
    const { saveArchive } = await import('../core/image/load-save.js');
    await saveArchive(argv.ctx, (argv.images as string[]).map(String), {
      output: argv.output as string | undefined,
      format: argv.format as 'docker-archive' | 'oci-archive',
    });
  },
};
