import type { Command } from './types.js';

export const pullCommand: Command = {
  command: 'pull <image>',
  describe: 'Pull an image from a registry',
  builder: (y) =>
    y
      .positional('image', { type: 'string', describe: 'Image reference, e.g. docker.io/library/alpine:latest' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Print only the image id' })
      .option('tls-verify', { type: 'boolean', describe: 'Require HTTPS and verify certificates (default true)' })
      .option('creds', { type: 'string', describe: 'USERNAME:PASSWORD for the registry' })
      .option('authfile', { type: 'string', describe: 'Path of the authentication file' })
      .option('platform', { type: 'string', describe: 'OS/ARCH[/VARIANT] to pull from a manifest list' }),
  handler: async (argv) => {
    const { pullImage } = await import('../core/image/store.js');
    const { parseCredsFlag } = await import('../core/image/auth.js');
    const { progressReporter } = await import('../cli/progress.js');
    const rec = await pullImage(argv.ctx, String(argv.image), {
      quiet: !!argv.quiet,
      onProgress: progressReporter(),
      tlsVerify: argv.tlsVerify as boolean | undefined,
      creds: argv.creds ? parseCredsFlag(String(argv.creds)) : undefined,
      authfile: argv.authfile as string | undefined,
      platform: argv.platform as string | undefined,
    });
    process.stdout.write(`${rec.id}\n`);
  },
};
