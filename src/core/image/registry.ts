/**
 * A client for the OCI distribution API (undici): ping + auth challenge (anonymous, basic, bearer token),
 * manifests, blobs. https first; for insecure registries (127.0.0.1/localhost, `insecure = true` in the
 * registries config, or --tls-verify=false) certificate checks are off and plain http is the fallback.
 * CONMAN_EXTRA_CA_CERTS (a PEM file) adds CAs.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import type { Readable } from 'node:stream';
import { ConmanError, describeError } from '../../base/errors.js';
import type { Creds } from './auth.js';

export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  schema1: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
};

const ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ');

export interface ClientOptions {
  /** Verify TLS certificates (default true except for insecure registries). */
  tlsVerify?: boolean;
  /** Registry is insecure (local or configured): no cert checks, http fallback. */
  insecure?: boolean;
  creds?: Creds;
  /** What we are doing, for messages: "pull 127.0.0.1:5000/x:1". */
  what: string;
}

interface Challenge {
  scheme: 'basic' | 'bearer' | 'none';
  realm?: string;
  service?: string;
}

type Dispatcher = import('undici').Dispatcher;

let extraCa: string[] | undefined;
function cas(): string[] | undefined {
  const f = process.env.CONMAN_EXTRA_CA_CERTS;
  if (!f) return undefined;
  if (!extraCa) {
    try {
      extraCa = [...tls.rootCertificates, fs.readFileSync(f, 'utf8')];
    } catch (e) {
      throw new ConmanError('EINVAL', `cannot read CONMAN_EXTRA_CA_CERTS ${f}: ${(e as Error).message}`);
    }
  }
  return extraCa;
}

function parseChallenge(h: string | string[] | undefined): Challenge {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return { scheme: 'none' };
  const m = /^\s*(\w+)\s*(.*)$/.exec(v);
  if (!m) return { scheme: 'none' };
  const scheme = m[1]!.toLowerCase();
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]!))) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  if (scheme === 'bearer') return { scheme: 'bearer', realm: params.realm, service: params.service };
  if (scheme === 'basic') return { scheme: 'basic' };
  return { scheme: 'none' };
}

function netError(what: string, host: string, e: unknown): ConmanError {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = err.code ?? err.cause?.code;
  let why = describeError(e);
  if (code === 'ECONNREFUSED') why = 'connection refused';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') why = 'host not found';
  else if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') why = 'connection timed out';
  return new ConmanError('ENETWORK', `${what}: cannot reach registry ${host}: ${why}`, {
    cause: e,
    hint: code === 'ECONNREFUSED' ? 'is the registry running on that address?' : undefined,
  });
}

function isTlsError(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = String(err.code ?? err.cause?.code ?? '');
  const msg = describeError(e);
  return (
    code.startsWith('ERR_SSL') ||
    code === 'EPROTO' ||
    code === 'ECONNRESET' ||
    code === 'UND_ERR_SOCKET' ||
    /SSL|TLS|wrong version|certificate|self.signed|socket/i.test(msg)
  );
}

async function errorText(body: { text(): Promise<string> }): Promise<string> {
  const t = await body.text().catch(() => '');
  try {
    const j = JSON.parse(t) as { errors?: Array<{ code?: string; message?: string }>; details?: string };
    const e = j.errors?.[0];
    if (e) return (e.message || e.code || '').toLowerCase();
  } catch {}
  return t.trim().slice(0, 200);
}

export class RegistryClient {
  private base?: string;
  private challenge?: Challenge;
  private tokens = new Map<string, string>();
  private dispatcher?: Dispatcher;
  private httpDispatcher?: Dispatcher;

  constructor(
    readonly registry: string,
    readonly repository: string,
    readonly opts: ClientOptions,
  ) {}

  /** docker.io's API lives at registry-1.docker.io. */
  private get host(): string {
    return this.registry === 'docker.io' ? 'registry-1.docker.io' : this.registry;
  }

  private async agent(): Promise<Dispatcher> {
    if (this.dispatcher) return this.dispatcher;
    const { Agent, interceptors } = await import('undici');
    // --tls-verify=true always verifies; =false never; by default insecure registries are not verified
    const verify = this.opts.tlsVerify ?? !this.opts.insecure;
    const a = new Agent({
      connect: { rejectUnauthorized: verify, ca: cas(), timeout: 30_000 },
      connections: 8,
      pipelining: 1,
      bodyTimeout: 120_000,
      headersTimeout: 60_000,
    });
    this.dispatcher = a.compose(interceptors.redirect({ maxRedirections: 5 }));
    return this.dispatcher;
  }

  async close(): Promise<void> {
    await (this.dispatcher as unknown as { close?: () => Promise<void> })?.close?.().catch(() => {});
  }

  private async raw(url: string, opts: { method?: 'GET' | 'HEAD'; headers?: Record<string, string> } = {}) {
    const { request } = await import('undici');
    return request(url, { method: opts.method ?? 'GET', headers: opts.headers, dispatcher: await this.agent(), highWaterMark: 1024 * 1024 } as Parameters<typeof request>[1]);
  }

  /** GET /v2/: picks https or http and learns the auth challenge. */
  async ping(): Promise<void> {
    if (this.base) return;
    const allowHttp = this.opts.tlsVerify === false || (this.opts.tlsVerify === undefined && !!this.opts.insecure);
    const tryBase = async (base: string) => {
      const r = await this.raw(`${base}/v2/`);
      const ch = r.statusCode === 401 ? parseChallenge(r.headers['www-authenticate']) : ({ scheme: 'none' } as Challenge);
      await r.body.dump().catch(() => {});
      if (r.statusCode >= 500) throw new ConmanError('EREGISTRY', `${this.opts.what}: registry ${this.registry} answered ${r.statusCode}`);
      this.base = base;
      this.challenge = ch;
    };
    try {
      await tryBase(`https://${this.host}`);
    } catch (e) {
      if (e instanceof ConmanError) throw e;
      if (allowHttp) {
        // insecure registry: whatever went wrong over https (TLS error, plain-http server), try http
        try {
          await tryBase(`http://${this.host}`);
          return;
        } catch (e2) {
          if (e2 instanceof ConmanError) throw e2;
          throw netError(this.opts.what, this.registry, e2);
        }
      }
      if (isTlsError(e))
        throw new ConmanError('ENETWORK', `${this.opts.what}: TLS to registry ${this.registry} failed: ${describeError(e)}`, {
          cause: e,
          hint: 'use --tls-verify=false for a registry without valid TLS, or set NODE_EXTRA_CA_CERTS',
        });
      throw netError(this.opts.what, this.registry, e);
    }
  }

  /** Verifies credentials: a 2xx from /v2/ (basic) or a token (bearer). */
  async checkLogin(): Promise<void> {
    await this.ping();
    const ch = this.challenge!;
    if (ch.scheme === 'none') return;
    if (ch.scheme === 'bearer') {
      await this.fetchToken('');
      return;
    }
    const r = await this.raw(`${this.base}/v2/`, { headers: this.basicHeader() });
    const msg = r.statusCode >= 400 ? await errorText(r.body) : (await r.body.dump(), '');
    if (r.statusCode === 401 || r.statusCode === 403)
      throw new ConmanError('EAUTH', `${this.opts.what}: invalid username/password (${r.statusCode})`);
    if (r.statusCode >= 400) throw new ConmanError('EREGISTRY', `${this.opts.what}: ${msg || 'error'} (${r.statusCode})`);
  }

  private basicHeader(): Record<string, string> {
    const c = this.opts.creds;
    if (!c) return {};
    return { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` };
  }

  private async fetchToken(scope: string): Promise<string> {
    const cached = this.tokens.get(scope);
    if (cached) return cached;
    const ch = this.challenge!;
    if (!ch.realm) throw new ConmanError('EREGISTRY', `${this.opts.what}: registry sent a bearer challenge without realm`);
    const u = new URL(ch.realm);
    if (ch.service) u.searchParams.set('service', ch.service);
    if (scope) u.searchParams.set('scope', scope);
    if (this.opts.creds) u.searchParams.set('account', this.opts.creds.username);
    let r;
    try {
      r = await this.raw(u.toString(), { headers: this.basicHeader() });
    } catch (e) {
      throw netError(this.opts.what, u.host, e);
    }
    if (r.statusCode === 401 || r.statusCode === 403) {
      await r.body.dump();
      throw new ConmanError('EAUTH', `${this.opts.what}: ${this.opts.creds ? 'invalid username/password' : 'authentication required'} (${r.statusCode} from token server)`, {
        hint: this.opts.creds ? undefined : `log in with \`conman login ${this.registry}\` or pass --creds`,
      });
    }
    if (r.statusCode >= 400) throw new ConmanError('EREGISTRY', `${this.opts.what}: token server answered ${r.statusCode}: ${await errorText(r.body)}`);
    const j = (await r.body.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const tok = j.token || j.access_token;
    if (!tok) throw new ConmanError('EREGISTRY', `${this.opts.what}: token server sent no token`);
    this.tokens.set(scope, tok);
    return tok;
  }

  private async authHeaders(): Promise<Record<string, string>> {
    await this.ping();
    const ch = this.challenge!;
    if (ch.scheme === 'basic') return this.basicHeader();
    if (ch.scheme === 'bearer') return { authorization: `Bearer ${await this.fetchToken(`repository:${this.repository}:pull`)}` };
    return {};
  }

  /** A GET on the repository API with auth; errors mapped. */
  private async get(pathPart: string, accept: string | undefined, what: string, retried = false): Promise<Awaited<ReturnType<RegistryClient['raw']>>> {
    const headers = { ...(await this.authHeaders()), ...(accept ? { accept } : {}) };
    let r;
    try {
      r = await this.raw(`${this.base}/v2/${this.repository}/${pathPart}`, { headers });
    } catch (e) {
      throw netError(this.opts.what, this.registry, e);
    }
    if (r.statusCode >= 200 && r.statusCode < 300) return r;
    if (r.statusCode === 401 && !retried && this.challenge?.scheme === 'bearer' && this.tokens.size) {
      // the token expired during a long pull: get a new one, once
      await r.body.dump().catch(() => {});
      this.tokens.clear();
      return this.get(pathPart, accept, what, true);
    }
    const msg = await errorText(r.body);
    if (r.statusCode === 401 || r.statusCode === 403) {
      const creds = !!this.opts.creds;
      throw new ConmanError('EAUTH', `${this.opts.what}: ${creds ? (msg || 'unauthorized') : 'authentication required'} (${r.statusCode})`, {
        hint: creds ? 'check the username and password' : `log in with \`conman login ${this.registry}\` or pass --creds`,
      });
    }
    if (r.statusCode === 404) throw new ConmanError('EREGISTRY', `${this.opts.what}: ${what} unknown (404)`);
    throw new ConmanError('EREGISTRY', `${this.opts.what}: ${msg || 'registry error'} (${r.statusCode})`);
  }

  async manifest(ref: string): Promise<{ body: Buffer; mediaType: string; digest: string }> {
    const r = await this.get(`manifests/${ref}`, ACCEPT, 'manifest');
    const ab = await r.body.arrayBuffer();
    const body = Buffer.from(ab);
    if (body.length > 4 * 1024 * 1024) throw new ConmanError('EREGISTRY', `${this.opts.what}: manifest too large`);
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    let mediaType = String(r.headers['content-type'] ?? '').split(';')[0]!.trim();
    try {
      const j = JSON.parse(body.toString('utf8')) as { mediaType?: string; manifests?: unknown; schemaVersion?: number };
      if (j.mediaType) mediaType = j.mediaType;
      else if (j.schemaVersion === 1) mediaType = MT.schema1;
      else if (j.manifests) mediaType = MT.ociIndex;
      else if (!mediaType || mediaType === 'application/json') mediaType = MT.ociManifest;
    } catch {
      throw new ConmanError('EREGISTRY', `${this.opts.what}: manifest is not valid JSON`);
    }
    return { body, mediaType, digest };
  }

  /** A blob's body as a stream (not yet verified: the caller hashes it). */
  async blob(digest: string): Promise<{ stream: Readable; size: number | undefined }> {
    const r = await this.get(`blobs/${digest}`, undefined, `blob ${digest}`);
    const len = r.headers['content-length'];
    return { stream: r.body as unknown as Readable, size: len ? Number(len) : undefined };
  }
}
