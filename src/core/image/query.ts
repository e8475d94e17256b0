/**
 * What `images` lists: the records of images.json matching a name and --filter values, newest first, with
 * the containers using each. What it prints is in src/cli/views/image.ts.
 */
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { isDangling, readImages, type ImageRecord } from '../../storage/images.js';
import { imagesInUse } from './store.js';

export interface ImagesQuery {
  /** a name pattern (`*` and `?` within one path component) or an id prefix */
  name?: string;
  /** dangling=true|false, reference=PATTERN */
  filters?: string[];
}

export interface ImageListing {
  images: ImageRecord[];
  /** image id → names (or ids) of the containers that use it */
  inUse: Map<string, string[]>;
}

/** A reference pattern against an image's names, with or without their tag. */
function matchRef(names: string[], pat: string): boolean {
  const rx = new RegExp(`(^|/)${pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}(:[^/]*)?$`);
  return names.some((n) => rx.test(n) || rx.test(n.replace(/:[^/:]*$/, '')));
}

export function queryImages(ctx: Context, q: ImagesQuery = {}): ImageListing {
  let images = readImages(ctx);
  const inUse = imagesInUse(ctx);
  const wanted = q.name;
  if (wanted) images = images.filter((i) => matchRef(i.names, wanted) || i.id.startsWith(wanted));
  for (const f of q.filters ?? []) {
    const [k, v] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)];
    if (k === 'dangling') images = images.filter((i) => isDangling(i) === (v === 'true'));
    else if (k === 'reference') images = images.filter((i) => matchRef(i.names, v));
    else throw new ConmanError('EINVAL', `invalid filter ${JSON.stringify(f)}: supported are dangling=, reference=`);
  }
  images.sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
  return { images, inUse };
}
