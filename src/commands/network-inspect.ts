/** `network inspect`: networks' configuration, as podman's JSON or a Go template. */
import type { Command, WithCtx } from './types.js';

export const networkInspectCommand: Command = {
  command: 'inspect <network..>',
  describe: 'Show the configuration of networks',
  builder: (y) =>
    y
      .positional('network', { type: 'string', array: true, describe: 'Network names' })
      .option('format', { alias: 'f', type: 'string', describe: 'Go template such as {{.Subnets}}' }),
  handler: async (argv: unknown) => {
    const a = argv as WithCtx<{ network: string[]; format?: string }>;
    const { inspectNetworks } = await import('../core/network/manage.js');
    const { networkJson, renderTemplate } = await import('../cli/format/network.js');
    const { ConmanError, describeError } = await import('../base/errors.js');
    const { found, errors } = await inspectNetworks(a.ctx, a.network);
    if (a.format && a.format !== 'json') process.stdout.write(found.map((n) => renderTemplate(a.format!, n) + '\n').join(''));
    else process.stdout.write(JSON.stringify(found.map(networkJson), null, 2) + '\n');
    if (errors.length) throw new ConmanError('ENOSUCHNET', errors.map(describeError).join('\n'));
  },
};
