/**
 * podman-style `--format` strings: Go templates (src/core/gotemplate.ts) with `\t`/`\n` escapes and a `table`
 * prefix that adds a header line built from the field names.
 */
import { renderGo } from './gotemplate.js';

const unescape = (t: string) => t.replace(/\\t/g, '\t').replace(/\\n/g, '\n');

export function render(tmpl: string, obj: unknown): string {
  return renderGo(unescape(tmpl), obj);
}

/** `table {{.A}}\t{{.B}}` → [header, body template] (header from the field names, upper-cased). */
export function splitTable(tmpl: string): { header?: string; body: string } {
  if (!tmpl.startsWith('table')) return { body: tmpl };
  const body = tmpl.replace(/^table\s*/, '');
  const header = unescape(body)
    .replace(/\{\{-?\s*(?:json\s+)?\.([\w.]+)\s*-?\}\}/g, (_m, f: string) =>
      f.split('.').pop()!.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase(),
    )
    .replace(/\{\{[^}]*\}\}/g, '');
  return { header, body };
}
