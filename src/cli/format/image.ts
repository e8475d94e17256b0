/** Output helpers of the image commands: podman-style sizes and the `--format` renderer with its IMAGE ID header. */

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

/**
 * Renders podman-style `--format` Go templates over rows with the shared renderer (./format.ts):
 * one line per row; a `table` prefix adds a header built from the field names.
 */
export async function renderTemplate(tmpl: string, rows: Array<Record<string, unknown>>): Promise<string> {
  const { renderRows } = await import('./format.js');
  return renderRows(tmpl, rows, { ID: 'IMAGE ID' });
}
