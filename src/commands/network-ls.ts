/** `network ls`: the networks, as a table, JSON or a Go template. */
import type { Command, WithCtx } from './types.js';

export const networkLsCommand: Command = {
  command: 'ls',
  aliases: ['list'],
  describe: 'List networks',
  builder: (y) =>
    y
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Print only names' })
      .option('format', { type: 'string', describe: 'json, table, or a Go template such as {{.Name}}' })
      .option('filter', { alias: 'f', type: 'string', array: true, describe: 'Filter: name=REGEX, driver=bridge, label=KEY[=VALUE]' })
      .option('no-trunc', { type: 'boolean', describe: 'Show full network ids' }),
  handler: async (argv: unknown) => {
    const a = argv as WithCtx<{ quiet?: boolean; format?: string; filter?: string[]; noTrunc?: boolean }>;
    const { findNetworks } = await import('../core/network/manage.js');
    const { networkJson, renderTemplate } = await import('../cli/format/network.js');
    const nets = await findNetworks(a.ctx, a.filter);
    let out = '';
    if (a.quiet) out = nets.map((n) => `${n.name}\n`).join('');
    else if (a.format === 'json') out = JSON.stringify(nets.map(networkJson), null, 2) + '\n';
    else if (a.format && a.format !== 'table') out = nets.map((n) => renderTemplate(a.format!.replace(/^table\s+/, ''), n) + '\n').join('');
    else {
      const { columns } = await import('../cli/table.js');
      out = columns([['NETWORK ID', 'NAME', 'DRIVER'], ...nets.map((n) => [a.noTrunc ? n.id : n.id.slice(0, 12), n.name, 'bridge'])]);
    }
    process.stdout.write(out);
  },
};
