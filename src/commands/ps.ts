/** `ps` (and `container ls`): the selection is core/container/query.ts, the output cli/views/container.ts. */
import type { Command, WithCtx } from './types.js';

interface PsArgs {
  all?: boolean;
  quiet?: boolean;
  trunc?: boolean;
  format?: string;
  filter?: string[];
  latest?: boolean;
  last?: number;
}

export function psCommandNamed(command: string, aliases: string[] = []): Command {
  return {
    command,
    aliases,
    describe: 'List containers',
    builder: (y) =>
      y
        .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers (default: running only)' })
        .option('quiet', { alias: 'q', type: 'boolean', describe: 'Print only container ids' })
        .option('trunc', { type: 'boolean', default: true, describe: 'Truncate ids and commands (--no-trunc: show them whole)' })
        .option('format', { type: 'string', describe: 'json, or a Go template such as {{.Names}}' })
        .option('filter', { alias: 'f', type: 'string', describe: 'Filter: name=, id=, status=, label=, ancestor=, exited=, before=, since= (repeat a key to OR its values)' })
        .option('latest', { alias: 'l', type: 'boolean', describe: 'Show only the latest created container' })
        .option('last', { alias: 'n', type: 'number', describe: 'Show the n last created containers' }),
    handler: async (argv) => {
      const a = argv as unknown as WithCtx<PsArgs>;
      const { queryContainers } = await import('../core/container/query.js');
      const { psJson, psTable, psTemplateFields, PS_HEADERS } = await import('../cli/views/container.js');
      const noTrunc = a.trunc === false;
      const filters = a.filter === undefined ? [] : ([] as string[]).concat(a.filter);
      const list = await queryContainers(a.ctx, { all: a.all, filters, latest: a.latest, last: a.last });
      let out = '';
      if (a.quiet) {
        for (const r of list) out += `${noTrunc ? r.id : r.id.slice(0, 12)}\n`;
      } else if (a.format === 'json') {
        out = JSON.stringify(list.map(psJson), null, 4) + '\n';
      } else if (a.format) {
        const { renderRows } = await import('../cli/format/format.js');
        out = renderRows(a.format, list.map((r) => psTemplateFields(r, noTrunc)), PS_HEADERS);
      } else out = psTable(list, noTrunc);
      process.stdout.write(out);
    },
  };
}

export const psCommand = psCommandNamed('ps');
