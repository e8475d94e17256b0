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
    const cfg = await import('../core/network/config.js');
    const { networkJson, renderTemplate } = await import('../cli/format/network.js');
    await cfg.getNetwork(a.ctx, cfg.DEFAULT_NETWORK); // the default network always exists, like podman's
    let nets = cfg.listNetworks(a.ctx);
    // like podman: values of one key are ORed, different keys ANDed
    const byKey = new Map<string, string[]>();
    for (const f of a.filter ?? []) {
      const i = f.indexOf('=');
      const k = i < 0 ? f : f.slice(0, i);
      if (!['name', 'driver', 'id', 'label'].includes(k)) {
        const { ConmanError } = await import('../base/errors.js');
        throw new ConmanError('EINVAL', `invalid filter "${f}": use name=, id=, driver= or label=`);
      }
      byKey.set(k, [...(byKey.get(k) ?? []), i < 0 ? '' : f.slice(i + 1)]);
    }
    const match = (k: string, v: string, n: (typeof nets)[number]): boolean => {
      if (k === 'name') return new RegExp(v).test(n.name);
      if (k === 'driver') return v === 'bridge';
      if (k === 'id') return n.id.startsWith(v);
      const j = v.indexOf('=');
      return j < 0 ? v in n.labels : n.labels[v.slice(0, j)] === v.slice(j + 1);
    };
    nets = nets.filter((n) => [...byKey].every(([k, vs]) => vs.some((v) => match(k, v, n))));
    let out = '';
    if (a.quiet) out = nets.map((n) => `${n.name}\n`).join('');
    else if (a.format === 'json') out = JSON.stringify(nets.map(networkJson), null, 2) + '\n';
    else if (a.format && a.format !== 'table') out = nets.map((n) => renderTemplate(a.format!.replace(/^table\s+/, ''), n) + '\n').join('');
    else {
      const rows = [['NETWORK ID', 'NAME', 'DRIVER'], ...nets.map((n) => [a.noTrunc ? n.id : n.id.slice(0, 12), n.name, 'bridge'])];
      const w = [0, 1].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
      out = rows.map((r) => `${r[0]!.padEnd(w[0]! + 2)}${r[1]!.padEnd(w[1]! + 2)}${r[2]}`.trimEnd() + '\n').join('');
    }
    process.stdout.write(out);
  },
};
