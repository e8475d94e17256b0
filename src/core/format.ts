/**
 * A small subset of Go templates, enough for podman-style `--format` strings in scripts:
 * `{{.Field}}`, `{{.A.B}}`, `{{json .X}}`, `{{index .Labels "k"}}`, `{{upper .X}}`/`{{lower .X}}`, and
 * `table` prefixes (a header line from the field names). `\t` and `\n` escapes are honoured.
 */
function get(obj: unknown, p: string): unknown {
  if (p === '.' || p === '') return obj;
  let cur: unknown = obj;
  for (const k of p.replace(/^\./, '').split('.')) {
    if (cur === null || cur === undefined) return undefined;
    const o = cur as Record<string, unknown>;
    cur = k in o ? o[k] : o[Object.keys(o).find((x) => x.toLowerCase() === k.toLowerCase()) ?? k];
  }
  return cur;
}

function str(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(str).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}:${str(x)}`).join(' ')}]`;
  return String(v);
}

export function render(tmpl: string, obj: unknown): string {
  return tmpl
    .replace(/\\t/g, '\t')
    .replace(/\\n/g, '\n')
    .replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, expr: string) => {
      const parts = expr.match(/"[^"]*"|\S+/g) ?? [];
      const [fn, ...args] = parts;
      if (fn === 'json') return JSON.stringify(get(obj, args[0] ?? '.') ?? null);
      if (fn === 'index') {
        const base = get(obj, args[0] ?? '.') as Record<string, unknown> | undefined;
        const key = (args[1] ?? '').replace(/^"|"$/g, '');
        return str(base?.[key] ?? '');
      }
      if (fn === 'upper') return str(get(obj, args[0] ?? '.')).toUpperCase();
      if (fn === 'lower') return str(get(obj, args[0] ?? '.')).toLowerCase();
      if (fn === 'join') {
        const v = get(obj, args[0] ?? '.');
        return Array.isArray(v) ? v.map(String).join((args[1] ?? '" "').replace(/^"|"$/g, '')) : str(v);
      }
      if (fn && fn.startsWith('.')) return str(get(obj, fn));
      return '';
    });
}

/** `table {{.A}}\t{{.B}}` → [header, body template] (header from the field names, upper-cased). */
export function splitTable(tmpl: string): { header?: string; body: string } {
  if (!tmpl.startsWith('table')) return { body: tmpl };
  const body = tmpl.replace(/^table\s*/, '');
  const header = body
    .replace(/\\t/g, '\t')
    .replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_m, f: string) => f.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase());
  return { header, body };
}
