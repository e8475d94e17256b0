import type { Command, WithCtx } from './types.js';
import { ConmanError } from '../base/errors.js';

interface PsArgs {
  all?: boolean;
  quiet?: boolean;
  trunc?: boolean;
  format?: string;
  filter?: string[];
  latest?: boolean;
  last?: number;
}

/** podman's column titles for ps --format 'table ...' */
const PS_HEADERS: Record<string, string> = { ID: 'CONTAINER ID', RunningFor: 'CREATED', CreatedAt: 'CREATED AT', ImageID: 'IMAGE ID', CreatedHuman: 'CREATED' };

const trunc = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

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
      const { listContainers, psJson, psTemplateFields, statusText, ago } = await import('../core/container/query.js');
      const { portsText } = await import('../core/network/report.js');
      const noTrunc = a.trunc === false;
      let list = await listContainers(a.ctx);
      const everything = list;
      const filters = a.filter === undefined ? [] : ([] as string[]).concat(a.filter);
      // -l and -n N look at containers in every state, as podman's do
      if (!a.all && !a.latest && a.last === undefined && !filters.some((f) => f.startsWith('status='))) list = list.filter((r) => r.state.status === 'running' || r.state.status === 'stopping');
      // like podman: values of one key are ORed, different keys ANDed
      const byKey = new Map<string, string[]>();
      for (const f of filters) {
        const i = f.indexOf('=');
        if (i < 0) throw new ConmanError('EINVAL', `invalid filter "${f}": expected KEY=VALUE`);
        const k = f.slice(0, i);
        if (!['name', 'id', 'status', 'label', 'ancestor', 'exited', 'before', 'since'].includes(k))
          throw new ConmanError('EINVAL', `invalid filter "${k}": supported are name, id, status, label, ancestor, exited, before, since`);
        byKey.set(k, [...(byKey.get(k) ?? []), f.slice(i + 1)]);
      }
      const STATES = ['created', 'running', 'paused', 'stopped', 'exited', 'unknown', 'stopping', 'removing'];
      const createdOf = (ref: string) => {
        const r = everything.find((c) => c.name === ref || c.id.startsWith(ref));
        if (!r) throw new ConmanError('ENOSUCHCTR', `no container with name or ID "${ref}" found: no such container`);
        return r.created;
      };
      const match = (k: string, v: string, r: (typeof list)[number]): boolean => {
        switch (k) {
          case 'name': return new RegExp(v).test(r.name);
          case 'id': return r.id.startsWith(v);
          case 'status': return r.state.status === v || (v === 'running' && r.state.status === 'stopping') || (v === 'stopped' && r.state.status === 'exited');
          case 'label': {
            const j = v.indexOf('=');
            return j < 0 ? v in r.config.labels : r.config.labels[v.slice(0, j)] === v.slice(j + 1);
          }
          case 'ancestor': return r.image.name.includes(v) || r.image.id.startsWith(v);
          case 'exited': return r.state.status === 'exited' && String(r.state.exitCode) === v;
          case 'before': return r.created < createdOf(v);
          default: return r.created > createdOf(v); // since
        }
      };
      for (const v of byKey.get('status') ?? [])
        if (!STATES.includes(v)) throw new ConmanError('EINVAL', `invalid filter: unknown container state: ${v}`);
      list = list.filter((r) => [...byKey].every(([k, vs]) => vs.some((v) => match(k, v, r))));
      if (a.latest) list = list.slice(0, 1);
      if (a.last !== undefined && a.last >= 0) list = list.slice(0, a.last);
      let out = '';
      if (a.quiet) {
        for (const r of list) out += `${noTrunc ? r.id : r.id.slice(0, 12)}\n`;
      } else if (a.format === 'json') {
        out = JSON.stringify(list.map(psJson), null, 4) + '\n';
      } else if (a.format) {
        const { renderRows } = await import('../cli/format/format.js');
        out = renderRows(a.format, list.map((r) => psTemplateFields(r, noTrunc)), PS_HEADERS);
      } else {
        const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']];
        for (const r of list) {
          const cmd = [...r.config.entrypoint, ...r.config.cmd].join(' ');
          rows.push([
            noTrunc ? r.id : r.id.slice(0, 12),
            r.image.name,
            noTrunc ? cmd : trunc(cmd, 20),
            `${ago(r.created)} ago`,
            statusText(r),
            portsText(r),
            r.name,
          ]);
        }
        const w = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
        for (const row of rows) out += row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(w[i]! + 2))).join('').trimEnd() + '\n';
      }
      process.stdout.write(out);
    },
  };
}

export const psCommand = psCommandNamed('ps');
