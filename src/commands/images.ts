import type { Command } from './types.js';

export const imagesCommand: Command = {
  command: 'images [image]',
  describe: 'List images in local storage',
  builder: (y) =>
    y
      .positional('image', { type: 'string', describe: 'Show only images matching this name' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Print only image ids' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Show all images (conman has no intermediate images)' })
      .option('trunc', { type: 'boolean', default: true, describe: 'Truncate image ids (--no-trunc: show full ids)' })
      .option('noheading', { alias: 'n', type: 'boolean', describe: 'Do not print the header' })
      .option('digests', { type: 'boolean', describe: 'Show digests' })
      .option('filter', { alias: 'f', type: 'string', array: true, describe: 'dangling=true|false, reference=PATTERN' })
      .option('format', { type: 'string', describe: 'json, or a Go template such as {{.Repository}}:{{.Tag}}' }),
  handler: async (argv) => {
    const { imagesInUse } = await import('../core/image/store.js');
    const { readImages, isDangling } = await import('../storage/images.js');
    const { splitName } = await import('../core/image/reference.js');
    const { humanSize, renderTemplate } = await import('../cli/format/image.js');
    const { humanAgo } = await import('../cli/time.js');
    const { columns } = await import('../cli/table.js');
    const { ConmanError } = await import('../base/errors.js');
    let images = readImages(argv.ctx);
    const used = imagesInUse(argv.ctx);
    const filters = (argv.filter as string[] | undefined) ?? [];
    const wanted: string | undefined = argv.image as string | undefined;
    const matchRef = (names: string[], pat: string) => {
      const rx = new RegExp(`(^|/)${pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}(:[^/]*)?$`);
      return names.some((n) => rx.test(n) || rx.test(n.replace(/:[^/:]*$/, '')));
    };
    if (wanted) images = images.filter((i) => matchRef(i.names, wanted) || i.id.startsWith(wanted));
    for (const f of filters) {
      const [k, v] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)];
      if (k === 'dangling') images = images.filter((i) => isDangling(i) === (v === 'true'));
      else if (k === 'reference') images = images.filter((i) => matchRef(i.names, v));
      else throw new ConmanError('EINVAL', `invalid filter ${JSON.stringify(f)}: supported are dangling=, reference=`);
    }
    images.sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
    const noTrunc = argv.trunc === false;
    const showId = (id: string) => (noTrunc ? `sha256:${id}` : id.slice(0, 12));
    if (argv.quiet) {
      const seen = new Set<string>();
      for (const i of images) if (!seen.has(i.id)) (seen.add(i.id), process.stdout.write(`${showId(i.id)}\n`));
      return;
    }
    const fmt = argv.format as string | undefined;
    if (fmt === 'json' || fmt === '{{json .}}') {
      const out = images.map((i) => ({
        Id: i.id,
        ParentId: '',
        RepoTags: i.names,
        RepoDigests: i.repoDigests,
        Size: i.size,
        SharedSize: 0,
        VirtualSize: i.size,
        Labels: null,
        Containers: used.get(i.id)?.length ?? 0,
        Names: i.names,
        Digest: i.digest ?? i.manifestDigest ?? `sha256:${i.id}`,
        Created: Math.floor(Date.parse(i.created) / 1000),
        CreatedAt: i.created,
        Dangling: isDangling(i),
      }));
      process.stdout.write(JSON.stringify(out, null, 4) + '\n');
      return;
    }
    const rows: Array<Record<string, unknown>> = [];
    for (const i of images) {
      const names = i.names.length ? i.names : [''];
      for (const n of names) {
        const pinned = !n && i.digestRefs?.length ? i.digestRefs[0]!.split('@')[0]! : undefined;
        const { repo, tag } = n ? splitName(n) : { repo: pinned ?? '<none>', tag: '<none>' };
        rows.push({
          Repository: repo,
          Tag: tag,
          ID: showId(i.id),
          Id: i.id,
          Digest: i.digest ?? '',
          Created: humanAgo(i.created),
          CreatedSince: humanAgo(i.created),
          CreatedAt: i.created,
          Size: humanSize(i.size),
          Names: i.names,
          Dangling: isDangling(i),
          Containers: used.get(i.id)?.length ?? 0,
        });
      }
    }
    if (fmt) {
      process.stdout.write(await renderTemplate(fmt, rows));
      return;
    }
    const table: string[][] = [];
    const withDigest = !!argv.digests;
    if (!argv.noheading) table.push(['REPOSITORY', 'TAG', ...(withDigest ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE']);
    for (const r of rows)
      table.push([String(r.Repository), String(r.Tag), ...(withDigest ? [String(r.Digest)] : []), String(r.ID), String(r.Created), String(r.Size)]);
    process.stdout.write(columns(table));
  },
};
