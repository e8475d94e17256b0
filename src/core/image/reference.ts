/**
 * Image references the way docker/podman read them: `[host[:port]/]path[:tag][@digest]`.
 * Short names (`alpine`) normalise to `docker.io/library/alpine:latest`; a name with a host keeps it.
 */
import { ConmanError } from '../../base/errors.js';

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';

export interface Reference {
  /** Registry host (with port), e.g. `docker.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Repository path inside the registry, e.g. `library/alpine`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** True when the user wrote no registry (a short name). */
  shortName: boolean;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[0-9a-fA-F:.]+\](?::[0-9]+)?$/;

export function validateDigest(d: string, what = d): void {
  const m = DIGEST.exec(d);
  if (!m) throw new ConmanError('EINVAL', `invalid digest ${JSON.stringify(what)}: expected algorithm:hex`);
  if (m[1] === 'sha256' && !/^[a-f0-9]{64}$/.test(m[2]!))
    throw new ConmanError('EINVAL', `invalid digest ${JSON.stringify(what)}: sha256 needs 64 lowercase hex digits`);
  if (m[1] === 'sha512' && !/^[a-f0-9]{128}$/.test(m[2]!))
    throw new ConmanError('EINVAL', `invalid digest ${JSON.stringify(what)}: sha512 needs 128 lowercase hex digits`);
  if (m[1] !== 'sha256' && m[1] !== 'sha512')
    throw new ConmanError('EINVAL', `invalid digest ${JSON.stringify(what)}: unsupported algorithm ${m[1]}`);
}

/** Parses and normalises a reference; throws EINVAL with the reason on anything malformed. */
export function parseReference(input: string, opts: { defaultTag?: boolean } = {}): Reference {
  const bad = (why: string, hint?: string) =>
    new ConmanError('EINVAL', `invalid reference ${JSON.stringify(input)}: ${why}`, hint ? { hint } : {});
  if (!input || input.trim() !== input) throw bad('empty or surrounded by whitespace');
  if (input.length > 4096) throw bad('too long');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      validateDigest(digest);
    } catch (e) {
      throw bad((e as Error).message.replace(/^invalid digest "[^"]*": /, 'bad digest: '));
    }
  }
  if (rest.startsWith('docker://')) rest = rest.slice('docker://'.length);
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`bad tag ${JSON.stringify(tag)}`, 'a tag is up to 128 of [A-Za-z0-9_.-], not starting with . or -');
  }
  if (!rest) throw bad('no repository name');
  let registry = DEFAULT_REGISTRY;
  let path = rest;
  let shortName = true;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first)) {
      if (!HOST.test(first)) throw bad(`bad registry host ${JSON.stringify(first)}`);
      registry = first;
      path = rest.slice(slash + 1);
      shortName = false;
    }
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DEFAULT_REGISTRY;
  if (/[A-Z]/.test(path)) throw bad('repository name must be lowercase');
  const comps = path.split('/');
  for (const c of comps) {
    if (!COMPONENT.test(c)) throw bad(`bad repository name component ${JSON.stringify(c)}`);
  }
  if (registry.length + 1 + path.length > 255) throw bad('repository name too long');
  if (registry === DEFAULT_REGISTRY && comps.length === 1) path = `library/${path}`;
  if (!tag && !digest && opts.defaultTag !== false) tag = DEFAULT_TAG;
  return { registry, repository: path, tag, digest, shortName };
}

/** `host/repo` */
export function repoName(r: Reference): string {
  return `${r.registry}/${r.repository}`;
}

/** `host/repo:tag`, `host/repo@digest`, or `host/repo:tag@digest`. */
export function formatReference(r: Reference): string {
  return `${repoName(r)}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** Splits a stored name `host/repo:tag` into repo and tag. */
export function splitName(name: string): { repo: string; tag: string } {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return { repo: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repo: name, tag: '<none>' };
}

/** Looks like a full or short image id (hex)? */
export function looksLikeId(s: string): boolean {
  return /^(sha256:)?[a-f0-9]{3,64}$/.test(s);
}
