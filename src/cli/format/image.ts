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
 * Renders podman-style `--format` Go templates over rows with the shared renderer (src/core/format.ts):
 * one line per row; a `table` prefix adds a header built from the field names.
 */
export async function renderTemplate(tmpl: string, rows: Array<Record<string, unknown>>): Promise<string> {
  const { renderRows } = await import('./format.js');
  return renderRows(tmpl, rows, { ID: 'IMAGE ID' });
}

/** Left-aligned columns separated by 2+ spaces, like podman's tabwriter output. */
export function columns(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('').trimEnd() + '\n').join('');
}
