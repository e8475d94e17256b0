/** The column writer of every listing (ps, images, network ls, ...). */

/** Left-aligned columns separated by 2+ spaces, like podman's tabwriter output. */
export function columns(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('').trimEnd() + '\n').join('');
}
