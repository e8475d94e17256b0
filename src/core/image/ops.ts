/** rmi, tag, prune, inspect: operations on image records (images.json under images.lock). */
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { garbageCollect, imageConfig, imagesInUse, layerDiffDirs, matchImage, updateImages } from './store.js';
import { looksLikeId, parseReference, repoName } from './reference.js';
import { isDangling, readImages, type ImageRecord } from '../../storage/images.js';

export interface RmiResult {
  untagged: string[];
  deleted: string[];
  errors: ConmanError[];
}

/** Normalised name for a ref the user typed as a name (not an id), or undefined. */
export function nameOf(images: ImageRecord[], ref: string, img: ImageRecord): string | undefined {
  if (looksLikeId(ref) && img.id.startsWith(ref.replace(/^sha256:/, ''))) return undefined;
  try {
    const r = parseReference(ref);
    if (r.digest) return undefined;
    const full = `${repoName(r)}:${r.tag}`;
    if (img.names.includes(full)) return full;
    const tail = `/${r.repository.replace(/^library\//, '')}:${r.tag}`;
    return img.names.find((n) => n.endsWith(tail));
  } catch {
    return undefined;
  }
}

export interface RemoveImagesOptions {
  force?: boolean;
  all?: boolean;
  /**
   * Removes containers (names or ids) by force: how rmi -f gets rid of the containers that use an image
   * it deletes. Passed in by the caller, since containers are the layer above images.
   */
  evict?: (containers: string[]) => Promise<void>;
}

/**
 * rmi -f of an image containers use removes those containers first, as podman does, so that none is left
 * pointing at layers that are gone. Only for refs that delete the image (by id, or its last name).
 */
async function removeUsers(ctx: Context, refs: string[], all: boolean, evict: RemoveImagesOptions['evict']): Promise<void> {
  const images = readImages(ctx);
  const used = imagesInUse(ctx);
  const victims = new Set<string>();
  for (const ref of all ? images.map((i) => i.id) : refs) {
    let img: ImageRecord | undefined;
    try {
      img = matchImage(images, ref);
    } catch {
      continue;
    }
    if (!img) continue;
    const name = nameOf(images, ref, img);
    if (!all && name && img.names.length > 1) continue; // only untags
    victims.add(img.id);
  }
  const users = [...victims].flatMap((id) => used.get(id) ?? []);
  if (!users.length) return;
  if (!evict) throw new ConmanError('EINTERNAL', 'removeImages: force removal of images in use needs an evict function');
  await evict(users);
}

export async function removeImages(ctx: Context, refs: string[], opts: RemoveImagesOptions = {}): Promise<RmiResult> {
  const res: RmiResult = { untagged: [], deleted: [], errors: [] };
  if (opts.force) await removeUsers(ctx, refs, !!opts.all, opts.evict);
  await updateImages(ctx, async (images) => {
    const used = imagesInUse(ctx);
    const list = opts.all ? images.map((i) => i.id) : refs;
    for (const ref of list) {
      let img: ImageRecord | undefined;
      try {
        img = matchImage(images, ref);
      } catch (e) {
        res.errors.push(e as ConmanError);
        continue;
      }
      if (!img) {
        res.errors.push(new ConmanError('ENOSUCHIMAGE', `${ref}: image not known`, { exitCode: 1 }));
        continue;
      }
      const name = nameOf(images, ref, img);
      if (name && img.names.length > 1) {
        img.names = img.names.filter((n) => n !== name);
        res.untagged.push(name);
        continue;
      }
      if (!name && img.names.length > 1 && !opts.force && !opts.all) {
        res.errors.push(
          new ConmanError('EIMAGEINUSE', `unable to delete image ${img.id.slice(0, 12)} by ID with more than one tag (${img.names.join(', ')}): please force removal`, {
            exitCode: 2,
          }),
        );
        continue;
      }
      const users = used.get(img.id);
      if (users && !opts.force) {
        res.errors.push(
          new ConmanError('EIMAGEINUSE', `image ${img.names[0] ?? img.id.slice(0, 12)} is in use by container(s) ${users.join(', ')}`, {
            exitCode: 2,
            hint: 'remove the containers first, or use rmi -f',
          }),
        );
        continue;
      }
      res.untagged.push(...img.names);
      res.deleted.push(img.id);
      images.splice(images.indexOf(img), 1);
    }
    if (res.deleted.length) garbageCollect(ctx, images, (await import('./temp.js')).leasedLayers(ctx));
  });
  return res;
}

/** The name `tag`/`load` store for a user-typed target: short names go under localhost/, like podman. */
export function targetName(input: string): string {
  const r = parseReference(input);
  if (r.digest) throw new ConmanError('EINVAL', `invalid tag target ${JSON.stringify(input)}: a digest cannot be a tag`);
  if (r.shortName) return `localhost/${r.repository.replace(/^library\//, '')}:${r.tag}`;
  return `${repoName(r)}:${r.tag}`;
}

export async function tagImage(ctx: Context, src: string, targets: string[]): Promise<string[]> {
  const names = targets.map(targetName);
  return updateImages(ctx, (images) => {
    const img = matchImage(images, src);
    if (!img) throw new ConmanError('ENOSUCHIMAGE', `${src}: image not known`);
    for (const n of names) {
      for (const i of images) if (i !== img) i.names = i.names.filter((x) => x !== n);
      if (!img.names.includes(n)) img.names.push(n);
    }
    return names;
  });
}

export async function pruneImages(ctx: Context, all: boolean): Promise<string[]> {
  const removed: string[] = [];
  await updateImages(ctx, async (images) => {
    const used = imagesInUse(ctx);
    for (const img of [...images]) {
      if (used.has(img.id)) continue;
      if (!all && !isDangling(img)) continue;
      images.splice(images.indexOf(img), 1);
      removed.push(img.id);
    }
    // always collect: also frees complete layers left behind by failed pulls (no image references them)
    garbageCollect(ctx, images, (await import('./temp.js')).leasedLayers(ctx));
  });
  return removed;
}

export async function inspectImage(ctx: Context, img: ImageRecord): Promise<Record<string, unknown>> {
  const cfg = await imageConfig(ctx, img);
  const c = cfg.config ?? {};
  const config: Record<string, unknown> = {};
  if (c.User) config.User = c.User;
  if (c.ExposedPorts) config.ExposedPorts = c.ExposedPorts;
  config.Env = c.Env ?? [];
  if (c.Entrypoint) config.Entrypoint = c.Entrypoint;
  if (c.Cmd) config.Cmd = c.Cmd;
  if (c.Volumes) config.Volumes = c.Volumes;
  config.WorkingDir = c.WorkingDir ?? '';
  config.Labels = c.Labels ?? null;
  if (c.StopSignal) config.StopSignal = c.StopSignal;
  const dirs = layerDiffDirs(ctx, img);
  return {
    Id: img.id,
    Digest: img.digest ?? img.manifestDigest ?? `sha256:${img.id}`,
    RepoTags: img.names,
    RepoDigests: img.repoDigests,
    Parent: '',
    Comment: '',
    Created: cfg.created ?? img.created,
    Config: config,
    Version: '',
    Author: cfg.author ?? '',
    Architecture: cfg.architecture ?? '',
    Os: cfg.os ?? '',
    ...(cfg.variant ? { Variant: cfg.variant } : {}),
    Size: img.size,
    VirtualSize: img.size,
    GraphDriver: {
      Name: 'overlay',
      Data: { LowerDir: dirs.slice(0, -1).reverse().join(':') || undefined, UpperDir: dirs[dirs.length - 1] },
    },
    RootFS: { Type: 'layers', Layers: img.layers },
    Labels: c.Labels ?? null,
    Annotations: {},
    ManifestType: undefined,
    User: c.User ?? '',
    History: cfg.history ?? [],
    NamesHistory: [],
  };
}
