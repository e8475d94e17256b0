/**
 * podman-style `--format` strings: Go templates (./gotemplate.ts) with `\t`/`\n` escapes and a `table`
 * prefix that adds a header line built from the field names.
 */
import { renderGo } from './gotemplate.js';
import { columns } from '../table.js';

const unescape = (t: string) => t.replace(/\\t/g, '\t').replace(/\\n/g, '\n');

export function render(tmpl: string, obj: unknown): string {
  return renderGo(unescape(tmpl), obj);
}

/**
 * `table {{.A}}\t{{.B}}` → [header, body template]: the header names each field as podman does (`headers`
 * maps a field to its column title, e.g. ID → CONTAINER ID), else from the field name, upper-cased.
 */
export function splitTable(tmpl: string, headers: Record<string, string> = {}): { header?: string; body: string } {
  if (!tmpl.startsWith('table')) return { body: tmpl };
  const body = tmpl.replace(/^table\s*/, '');
  const header = unescape(body)
    .replace(/\{\{-?\s*(?:json\s+)?\.([\w.]+)\s*-?\}\}/g, (_m, f: string) => {
      const last = f.split('.').pop()!;
      return headers[last] ?? last.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
    })
    .replace(/\{\{[^}]*\}\}/g, '');
  return { header, body };
}

/**
 * Renders rows with a `--format` template; a `table` template gets its header and its tab-separated
 * columns aligned the way podman's tabwriter does (each column at least 12 wide, 2 spaces of padding).
 */
export function renderRows(tmpl: string, rows: unknown[], headers: Record<string, string> = {}): string {
  const { header, body } = splitTable(tmpl, headers);
  const lines = rows.map((r) => render(body, r));
  if (header === undefined) return lines.map((l) => `${l}\n`).join('');
  return columns([header, ...lines].map((l) => l.split('\t')), 12);
}
