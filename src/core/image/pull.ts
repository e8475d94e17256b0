/**
 * `pull`: reference → registry → manifest (choosing this platform from a list/index) → config →
 * layers (missing ones only, ~3 in parallel, each streamed straight into the layer store) → images.json.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Context } from '../../base/context.js';
import { ConmanError, describeError } from '../../base/errors.js';
import { blobsDir, blobPath } from '../../storage/layout.js';
import { writeFileAtomicSync } from '../../storage/atomic.js';
import { updateImages, type ImageConfig, type PullOptions } from './store.js';
import { formatReference, parseReference, repoName, type Reference } from './reference.js';
import { isLocalRegistry, loadRegistriesConf, registryEntry } from './registries-conf.js';
import { lookupCreds } from './auth.js';
import { MT, RegistryClient } from './registry.js';
import { diffIDForDigest, hasLayer, readLayerMeta } from './layers.js';
import { importLayer } from './layer-import.js';
import { cleanStaleTemp, hookInterrupt, takeLease } from './temp.js';
import { type ImageRecord } from '../../storage/images.js';

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface Manifest {
  schemaVersion?: number;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

export function hostPlatform(): { os: string; architecture: string; variant?: string } {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  const architecture = map[process.arch] ?? process.arch;
  const variant = architecture === 'arm64' ? 'v8' : architecture === 'arm' ? 'v7' : undefined;
  return { os: 'linux', architecture, variant };
}

export function parsePlatform(s: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new ConmanError('EINVAL', `invalid platform ${JSON.stringify(s)}: expected os/arch[/variant]`);
  return { os, architecture, variant };
}

/** Picks the manifest for a platform from an index / manifest list. */
export function choosePlatform(list: Descriptor[], want = hostPlatform()): Descriptor | undefined {
  const cands = list.filter(
    (d) => d.platform?.os === want.os && d.platform?.architecture === want.architecture && !d.annotations?.['vnd.docker.reference.type'],
  );
  if (want.variant) {
    const exact = cands.find((d) => d.platform?.variant === want.variant);
    if (exact) return exact;
    if (want.architecture === 'arm64') {
      const none = cands.find((d) => !d.platform?.variant);
      if (none) return none;
    }
  }
  return cands.find((d) => !d.platform?.variant) ?? cands[0];
}

function parseJson<T>(buf: Buffer, what: string): T {
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch (e) {
    throw new ConmanError('EREGISTRY', `${what}: invalid JSON: ${describeError(e)}`);
  }
}

async function limit<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  let failed: unknown;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length && !failed) {
      const t = items[i++]!;
      try {
        await fn(t);
      } catch (e) {
        failed ??= e;
      }
    }
  });
  await Promise.all(workers);
  if (failed) throw failed;
}

/** Registry candidates for a reference (short names go through unqualified-search-registries). */
async function candidates(input: string): Promise<Reference[]> {
  const r = parseReference(input);
  if (!r.shortName) return [r];
  const conf = await loadRegistriesConf();
  const out: Reference[] = [];
  const plain = r.repository.replace(/^library\//, '');
  const userPath = input.split(/[:@]/)[0]!;
  for (const reg of conf.unqualifiedSearch) {
    const repository = reg === 'docker.io' && !userPath.includes('/') ? `library/${plain}` : userPath.includes('/') ? r.repository : plain;
    out.push({ ...r, registry: reg, repository, shortName: true });
  }
  return out.length ? out : [r];
}

export async function pull(ctx: Context, input: string, opts: PullOptions = {}): Promise<ImageRecord> {
  const cands = await candidates(input);
  let firstErr: unknown;
  for (const ref of cands) {
    try {
      return await pullOne(ctx, ref, opts);
    } catch (e) {
      if (cands.length === 1) throw e;
      firstErr ??= e;
      ctx.debug(`pull ${formatReference(ref)}: ${describeError(e)}`);
    }
  }
  throw firstErr;
}

async function pullOne(ctx: Context, ref: Reference, opts: PullOptions): Promise<ImageRecord> {
  const what = `pull ${formatReference(ref)}`;
  const conf = await loadRegistriesConf();
  const entry = registryEntry(conf, ref.registry, ref.repository);
  if (entry?.blocked) throw new ConmanError('EREGISTRY', `${what}: registry ${ref.registry} is blocked in ${conf.file}`);
  const insecure = entry?.insecure || isLocalRegistry(ref.registry) || opts.tlsVerify === false;
  const creds = opts.creds ?? lookupCreds(ref.registry, ref.repository, opts.authfile);
  const client = new RegistryClient(ref.registry, ref.repository, { tlsVerify: opts.tlsVerify, insecure, creds, what });
  const report = opts.quiet ? undefined : opts.onProgress;
  let releaseLease = () => {};
  const unhook = hookInterrupt(ctx);
  report?.({ type: 'trying', ref: formatReference(ref) });
  try {
    cleanStaleTemp(ctx);
    const top = await client.manifest(ref.digest ?? ref.tag!);
    if (ref.digest && top.digest !== ref.digest)
      throw new ConmanError('EDIGEST', `${what}: manifest digest mismatch: expected ${ref.digest}, got ${top.digest}`);
    let man = top;
    if (top.mediaType === MT.ociIndex || top.mediaType === MT.dockerList) {
      const idx = parseJson<Manifest>(top.body, what);
      const want = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
      const d = choosePlatform(idx.manifests ?? [], want);
      if (!d)
        throw new ConmanError('EREGISTRY', `${what}: no image for ${want.os}/${want.architecture}${want.variant ? `/${want.variant}` : ''} in the manifest list`, {
          hint: `available: ${(idx.manifests ?? []).map((m) => `${m.platform?.os}/${m.platform?.architecture}${m.platform?.variant ? `/${m.platform.variant}` : ''}`).join(', ')}`,
        });
      man = await client.manifest(d.digest);
      if (man.digest !== d.digest) throw new ConmanError('EDIGEST', `${what}: manifest digest mismatch: expected ${d.digest}, got ${man.digest}`);
    }
    if (man.mediaType === MT.schema1) throw new ConmanError('EREGISTRY', `${what}: Docker schema 1 manifests are not supported`);
    if (man.mediaType !== MT.ociManifest && man.mediaType !== MT.dockerManifest)
      throw new ConmanError('EREGISTRY', `${what}: unsupported manifest type ${man.mediaType}`);
    const m = parseJson<Manifest>(man.body, what);
    if (!m.config?.digest || !Array.isArray(m.layers)) throw new ConmanError('EREGISTRY', `${what}: manifest has no config or layers`);
    // config
    report?.({ type: 'signatures' });
    const cfgBlob = await client.blob(m.config.digest);
    const chunks: Buffer[] = [];
    for await (const c of cfgBlob.stream) chunks.push(c as Buffer);
    const cfgBuf = Buffer.concat(chunks);
    const cfgDigest = `sha256:${createHash('sha256').update(cfgBuf).digest('hex')}`;
    if (cfgDigest !== m.config.digest)
      throw new ConmanError('EDIGEST', `${what}: config blob digest mismatch: expected ${m.config.digest}, got ${cfgDigest}`);
    const cfg = parseJson<ImageConfig>(cfgBuf, `${what}: config`);
    const diffIDs = cfg.rootfs?.diff_ids ?? [];
    if (diffIDs.length !== m.layers.length)
      throw new ConmanError('EREGISTRY', `${what}: config lists ${diffIDs.length} layers but the manifest has ${m.layers.length}`);
    // layers (leased so a concurrent rmi/prune keeps them until images.json references them)
    releaseLease = takeLease(ctx, diffIDs);
    const todo: Array<{ d: Descriptor; diffID: string }> = [];
    const seen = new Set<string>();
    m.layers.forEach((d, i) => {
      const diffID = diffIDs[i]!;
      if (!/^sha256:[a-f0-9]{64}$/.test(diffID)) throw new ConmanError('EREGISTRY', `${what}: bad diffID ${diffID} in config`);
      if (!/^sha256:[a-f0-9]{64}$/.test(d.digest)) throw new ConmanError('EREGISTRY', `${what}: bad layer digest ${d.digest}`);
      if (seen.has(diffID)) return;
      seen.add(diffID);
      // a blob this store unpacked before must unpack to the same diffID the config claims
      const known = diffIDForDigest(ctx, d.digest);
      if (known && known !== diffID)
        throw new ConmanError('EDIGEST', `${what}: layer ${d.digest} is known to have diffID ${known}, but the config says ${diffID}`);
      if (hasLayer(ctx, diffID)) report?.({ type: 'layer-skipped', digest: d.digest });
      else todo.push({ d, diffID });
    });
    await limit(todo, 3, async ({ d, diffID }) => {
      report?.({ type: 'layer-started', diffID, digest: d.digest, size: d.size ?? 0 });
      const { stream } = await client.blob(d.digest);
      await importLayer(ctx, stream, {
        digest: d.digest,
        diffID,
        what: `${what}: layer ${d.digest}`,
        onBytes: report && ((n) => report({ type: 'layer-bytes', diffID, bytes: n })),
        sourceError: (e) => new ConmanError('ENETWORK', `${what}: layer ${d.digest}: download failed: ${describeError(e)}`, { cause: e }),
      });
      report?.({ type: 'layer-done', diffID });
    });
    report?.({ type: 'config-done', digest: cfgDigest });
    report?.({ type: 'writing-manifest' });
    // commit
    const id = cfgDigest.slice(7);
    const name = ref.tag ? `${repoName(ref)}:${ref.tag}` : undefined;
    const repoDigests = [`${repoName(ref)}@${top.digest}`];
    if (man.digest !== top.digest) repoDigests.push(`${repoName(ref)}@${man.digest}`);
    const size = diffIDs.reduce((s, d) => s + (readLayerMeta(ctx, d)?.size ?? 0), 0);
    const rec = await updateImages(ctx, (images) => {
      for (const d of diffIDs) if (!hasLayer(ctx, d)) throw new ConmanError('ESTATE', `${what}: layer ${d} vanished during the pull (removed concurrently?); pull again`);
      fs.mkdirSync(blobsDir(ctx), { recursive: true });
      if (!fs.existsSync(blobPath(ctx, cfgDigest))) writeFileAtomicSync(blobPath(ctx, cfgDigest), cfgBuf);
      if (!fs.existsSync(blobPath(ctx, man.digest))) writeFileAtomicSync(blobPath(ctx, man.digest), man.body);
      if (name) for (const i of images) if (i.id !== id) i.names = i.names.filter((n) => n !== name);
      let r = images.find((i) => i.id === id);
      if (!r) {
        r = {
          id,
          names: [],
          repoDigests: [],
          layers: diffIDs,
          created: cfg.created ?? new Date(0).toISOString(),
          size,
          pulledAt: new Date().toISOString(),
          manifestDigest: man.digest,
          digest: top.digest,
        };
        images.push(r);
      }
      if (name && !r.names.includes(name)) r.names.push(name);
      for (const d of repoDigests) if (!r.repoDigests.includes(d)) r.repoDigests.push(d);
      if (!name) {
        const dref = `${repoName(ref)}@${ref.digest}`;
        r.digestRefs = [...new Set([...(r.digestRefs ?? []), dref])];
      }
      r.digest = top.digest;
      r.manifestDigest = man.digest;
      r.pulledAt = new Date().toISOString();
      return { ...r };
    });
    return rec;
  } finally {
    // layers already complete stay (a second pull reuses them; gc drops them once nothing leases them)
    releaseLease();
    unhook();
    report?.({ type: 'finished' });
    await client.close();
  }
}
