/** The column writer of every listing (ps, images, network ls, `--format 'table ...'`). */

/**
 * Left-aligned columns separated by 2+ spaces, like podman's tabwriter output: each column but the last
 * padded to its widest cell + 2 (and to at least `minWidth`, as podman's `table` templates do), trailing
 * spaces trimmed, nothing wrapped or cut.
 */
export function columns(rows: string[][], minWidth = 0): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(Math.max(minWidth, widths[i]! + 2)))).join('').trimEnd() + '\n').join('');
}
