/** Images as podman's `images` prints them: JSON entries, the rows its templates see, and the default table. */
import { isDangling, type ImageRecord } from '../../storage/images.js';
import { splitName } from '../../core/image/reference.js';
import { humanSize } from '../format/image.js';
import { humanAgo } from '../time.js';
import { columns } from '../table.js';

/** The id as shown: 12 hex digits, or (--no-trunc) the whole `sha256:` id. */
export const showImageId = (id: string, noTrunc: boolean) => (noTrunc ? `sha256:${id}` : id.slice(0, 12));

/** `images --format json` entry. */
export function imageJson(i: ImageRecord, inUse: Map<string, string[]>): Record<string, unknown> {
  return {
    Id: i.id,
    ParentId: '',
    RepoTags: i.names,
    RepoDigests: i.repoDigests,
    Size: i.size,
    SharedSize: 0,
    VirtualSize: i.size,
    Labels: null,
    Containers: inUse.get(i.id)?.length ?? 0,
    Names: i.names,
    Digest: i.digest ?? i.manifestDigest ?? `sha256:${i.id}`,
    Created: Math.floor(Date.parse(i.created) / 1000),
    CreatedAt: i.created,
    Dangling: isDangling(i),
  };
}

/** One row per name (an image without names gets one `<none>` row): the fields of `--format` templates. */
export function imageRows(images: ImageRecord[], inUse: Map<string, string[]>, noTrunc: boolean): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const i of images) {
    const names = i.names.length ? i.names : [''];
    for (const n of names) {
      const pinned = !n && i.digestRefs?.length ? i.digestRefs[0]!.split('@')[0]! : undefined;
      const { repo, tag } = n ? splitName(n) : { repo: pinned ?? '<none>', tag: '<none>' };
      rows.push({
        Repository: repo,
        Tag: tag,
        ID: showImageId(i.id, noTrunc),
        Id: i.id,
        Digest: i.digest ?? '',
        Created: humanAgo(i.created),
        CreatedSince: humanAgo(i.created),
        CreatedAt: i.created,
        Size: humanSize(i.size),
        Names: i.names,
        Dangling: isDangling(i),
        Containers: inUse.get(i.id)?.length ?? 0,
      });
    }
  }
  return rows;
}

/** The default `images` table over imageRows. */
export function imagesTable(rows: Array<Record<string, unknown>>, opts: { digests?: boolean; noheading?: boolean }): string {
  const table: string[][] = [];
  const withDigest = !!opts.digests;
  if (!opts.noheading) table.push(['REPOSITORY', 'TAG', ...(withDigest ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE']);
  for (const r of rows)
    table.push([String(r.Repository), String(r.Tag), ...(withDigest ? [String(r.Digest)] : []), String(r.ID), String(r.Created), String(r.Size)]);
  return columns(table);
}
