/** Output helpers for the image commands: podman-style sizes, ages, and a small Go-template subset. */

/** go-units HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits ("4.52 MB"). */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))} ${units[i]}`;
}

/** go-units HumanDuration + " ago". */
export function humanAgo(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, (now - t) / 1000);
  const plural = (n: number, u: string) => `${n} ${u}${n === 1 ? '' : 's'}`;
  let d: string;
  if (s < 1) d = 'Less than a second';
  else if (s < 60) d = plural(Math.floor(s), 'second');
  else if (s < 120) d = 'About a minute';
  else if (s < 3600) d = plural(Math.floor(s / 60), 'minute');
  else if (s < 7200) d = 'About an hour';
  else if (s < 48 * 3600) d = plural(Math.floor(s / 3600), 'hour');
  else if (s < 14 * 86400) d = plural(Math.floor(s / 86400), 'day');
  else if (s < 60 * 86400) d = plural(Math.floor(s / (7 * 86400)), 'week');
  else if (s < 730 * 86400) d = plural(Math.floor(s / (30 * 86400)), 'month');
  else d = plural(Math.floor(s / (365 * 86400)), 'year');
  return `${d} ago`;
}

/**
 * A small subset of Go templates as podman's --format uses them: `{{.Field}}`, `{{.A.B}}`,
 * `{{json .Field}}`, `{{json .}}`, `{{upper .X}}`, `{{lower .X}}`, `{{join .X ","}}`, and `\t` / `\n` escapes.
 * A leading `table ` prints a header row built from the field names.
 */
export function renderTemplate(tmpl: string, rows: Array<Record<string, unknown>>): string {
  let t = tmpl.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  let header: string | undefined;
  if (t.startsWith('table ')) {
    t = t.slice(6);
    header = t.replace(/\{\{\s*(?:\w+\s+)?\.(\w+)[^}]*\}\}/g, (_m, f: string) => f.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase());
  }
  const get = (row: Record<string, unknown>, p: string): unknown => {
    if (p === '.') return row;
    let v: unknown = row;
    for (const k of p.replace(/^\./, '').split('.')) v = v == null ? undefined : (v as Record<string, unknown>)[k];
    return v;
  };
  const str = (v: unknown): string => {
    if (v === undefined || v === null) return '<no value>';
    if (Array.isArray(v)) return `[${v.map(str).join(' ')}]`;
    if (typeof v === 'object') return `map[${Object.entries(v as object).map(([k, x]) => `${k}:${str(x)}`).join(' ')}]`;
    return String(v);
  };
  const one = (row: Record<string, unknown>) =>
    t.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, expr: string) => {
      const parts = expr.match(/"[^"]*"|\S+/g) ?? [];
      const fn = parts[0]!.startsWith('.') ? undefined : parts[0];
      const arg = fn ? parts[1] ?? '.' : parts[0]!;
      const v = get(row, arg);
      if (fn === 'json') return JSON.stringify(v ?? null);
      if (fn === 'upper') return str(v).toUpperCase();
      if (fn === 'lower') return str(v).toLowerCase();
      if (fn === 'join') return Array.isArray(v) ? v.join(JSON.parse(parts[2] ?? '" "')) : str(v);
      return str(v);
    });
  const out = rows.map(one);
  if (header !== undefined) out.unshift(header);
  return out.map((l) => (l.endsWith('\n') ? l : `${l}\n`)).join('');
}

/** Left-aligned columns separated by 2+ spaces, like podman's tabwriter output. */
export function columns(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('').trimEnd() + '\n').join('');
}
