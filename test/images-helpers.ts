/**
 * Helpers for the image tests: a proxy in front of a real registry that can count, swap or stall blobs,
 * docker-archive tarballs made by hand (tar-stream), and a look into a store's files.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import tarStream from 'tar-stream';
import { REPO } from './lib/conman.js';

export const sha256 = (b: Buffer | string) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

export interface Proxy {
  addr: string;
  /** Paths requested (method + path). */
  requests: string[];
  close(): Promise<void>;
}

export interface ProxyHooks {
  /** Return a body to serve instead of the registry's for this GET path (e.g. a swapped blob). */
  replace?: (path: string) => Buffer | undefined;
  /** Return true to send only the headers and half the body, then hang. */
  stall?: (path: string) => boolean;
}

/** An HTTP proxy to a registry on 127.0.0.1 (rewrites nothing but what hooks ask). */
export async function startProxy(upstream: string, hooks: ProxyHooks = {}): Promise<Proxy> {
  const [uhost, uport] = upstream.split(':');
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const rep = req.method === 'GET' ? hooks.replace?.(req.url!) : undefined;
    if (rep) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': rep.length, 'docker-content-digest': 'sha256:' + '0'.repeat(64) });
      res.end(rep);
      return;
    }
    const up = http.request(
      { host: uhost, port: Number(uport), method: req.method, path: req.url, headers: { ...req.headers, host: upstream } },
      (ures) => {
        const headers = { ...ures.headers };
        if (headers.location) headers.location = headers.location.replace(`http://${upstream}`, '');
        res.writeHead(ures.statusCode ?? 502, headers);
        if (req.method === 'GET' && hooks.stall?.(req.url!)) {
          let sent = 0;
          const total = Number(ures.headers['content-length'] ?? 0);
          ures.on('data', (c: Buffer) => {
            if (sent < total / 2) res.write(c.subarray(0, Math.max(0, Math.min(c.length, total / 2 - sent))));
            sent += c.length;
          });
          return; // never end
        }
        ures.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    addr: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface TarMember {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  data?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  pax?: Record<string, string>;
}

/** A tar made with tar-stream from the members given (nothing is checked: hostile names are fine). */
export async function makeTar(members: TarMember[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const m of members) {
    const data = m.data === undefined ? undefined : Buffer.from(m.data);
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        {
          name: m.name,
          type: m.type ?? 'file',
          size: data?.length ?? 0,
          linkname: m.linkname,
          mode: m.mode ?? (m.type === 'directory' ? 0o755 : 0o644),
          uid: m.uid ?? 0,
          gid: m.gid ?? 0,
          mtime: m.mtime ?? new Date(1_600_000_000_000),
          pax: m.pax,
        },
        data ?? Buffer.alloc(0),
        (e) => (e ? reject(e) : resolve()),
      ),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A docker-archive (what `docker save` writes) holding one image whose layers are the given tars. */
export async function dockerArchive(layers: Buffer[], repoTag: string, opts: { gzipLayers?: boolean; diffIDs?: string[] } = {}): Promise<Buffer> {
  const diffIDs = opts.diffIDs ?? layers.map((l) => sha256(l));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-02T03:04:05Z',
      config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: diffIDs },
    }),
  );
  const cfgName = `${sha256(config).slice(7)}.json`;
  const members: TarMember[] = [{ name: cfgName, data: config }];
  const names: string[] = [];
  layers.forEach((l, i) => {
    const n = `layer${i}.tar`;
    names.push(n);
    members.push({ name: n, data: opts.gzipLayers ? zlib.gzipSync(l) : l });
  });
  members.push({ name: 'manifest.json', data: JSON.stringify([{ Config: cfgName, RepoTags: [repoTag], Layers: names }]) });
  return makeTar(members);
}

/** Every path under dir (relative), for "nothing left behind" checks. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) walk(path.join(d, e.name), r);
    }
  };
  walk(dir, '');
  return out;
}

/** The image records of a store (images.json), [] when there is none. */
export function storeImages(root: string): Array<{ id: string; names: string[]; layers: string[] }> {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'images', 'images.json'), 'utf8')).images;
  } catch {
    return [];
  }
}

export function storeLayers(root: string): string[] {
  try {
    return fs.readdirSync(path.join(root, 'images', 'layers'));
  } catch {
    return [];
  }
}

export function storeTmp(root: string): string[] {
  try {
    return fs.readdirSync(path.join(root, 'tmp'));
  } catch {
    return [];
  }
}

/** The native addon, for reading xattrs in assertions. */
export function nativeAddon(): { lgetxattr(p: string, n: string): Buffer | null } {
  return createRequire(import.meta.url)(path.join(REPO, 'native', 'build', 'Release', 'conman_native.node'));
}

/** GET a manifest from a registry (http) as raw bytes. */
export async function getManifest(addr: string, repo: string, ref: string): Promise<{ body: Buffer; mediaType: string }> {
  const res = await fetch(`http://${addr}/v2/${repo}/manifests/${ref}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  if (!res.ok) throw new Error(`GET manifest ${repo}:${ref}: ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  return { body, mediaType: JSON.parse(body.toString()).mediaType ?? res.headers.get('content-type') };
}

export async function putManifest(addr: string, repo: string, ref: string, body: Buffer, mediaType: string): Promise<void> {
  const res = await fetch(`http://${addr}/v2/${repo}/manifests/${ref}`, { method: 'PUT', headers: { 'content-type': mediaType }, body: new Uint8Array(body) });
  if (res.status !== 201) throw new Error(`PUT manifest ${repo}:${ref}: ${res.status} ${await res.text()}`);
}

export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): string {
  return execFileSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}
