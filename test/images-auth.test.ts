/**
 * Registries that want credentials: basic auth (htpasswd, bcrypt from `htpasswd -nbB`) and bearer
 * tokens (a token server in this file signing RS256 JWTs with a key+cert made by openssl); login/logout
 * and the auth.json they write.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { newStore, show } from './lib/conman.js';
import { buildImage, freePort, startRegistry, type Registry } from './lib/registry.js';
import { testTmp } from './lib/tmp.js';
import { run, storeImages, storeLayers, storeTmp } from './images-helpers.js';

const USER = 'conman';
const PASS = 's3cret-pw';
let layout: string;

before(() => {
  layout = buildImage(null, 'authimg', '1', { layoutOnly: true, config: ['--config.cmd', 'sh'] });
});

/** Async: the token server lives in this process and must keep answering while skopeo runs. */
async function push(addr: string, repo: string): Promise<void> {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  await promisify(execFile)('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--dest-creds', `${USER}:${PASS}`, `oci:${layout}:1`, `docker://${addr}/${repo}:1`]);
}

function authFile(): string {
  return path.join(fs.mkdtempSync(path.join(testTmp(), 'auth-')), 'auth.json');
}

test('basic auth: pull needs credentials; --creds, login/logout and auth.json', async () => {
  const line = run('htpasswd', ['-nbB', USER, PASS]).trim();
  const reg = await startRegistry({ htpasswd: `${line}\n` });
  try {
    await push(reg.addr, 'private/bb');
    const ref = `${reg.addr}/private/bb:1`;
    const s = newStore('basic');
    const af = authFile();
    const env = { REGISTRY_AUTH_FILE: af };
    let r = s.run(['pull', '-q', ref], { env });
    assert.equal(r.code, 125, show(r));
    assert.match(r.stderr, /authentication required \(401\)/);
    r = s.run(['pull', '-q', '--creds', `${USER}:wrong`, ref], { env });
    assert.equal(r.code, 125, show(r));
    assert.match(r.stderr, /\(401\)/);
    assert.deepEqual(storeImages(s.root), []);
    r = s.run(['pull', '-q', '--creds', `${USER}:${PASS}`, ref], { env });
    assert.equal(r.code, 0, show(r));
    assert.equal(storeImages(s.root).length, 1);
    assert.equal(s.run(['rmi', ref]).code, 0);
    // login checks the password before storing anything
    r = s.run(['login', '-u', USER, '-p', 'wrong', reg.addr], { env });
    assert.equal(r.code, 125, show(r));
    assert.match(r.stderr, /invalid username\/password/);
    assert.ok(!fs.existsSync(af), 'nothing written for a failed login');
    r = s.run(['login', reg.addr], { env, input: `${USER}\nnot-it\n` }); // prompted username and password
    assert.equal(r.code, 125, show(r));
    assert.match(r.stderr, /Username: Password: /);
    r = s.run(['login', reg.addr], { env: { ...env, REGISTRY_AUTH_FILE: `${af}.prompted` }, input: `${USER}\n${PASS}\n` });
    assert.equal(r.code, 0, show(r));
    assert.ok(fs.existsSync(`${af}.prompted`));
    r = s.run(['login', '-u', USER, '--password-stdin', reg.addr], { env, input: `${PASS}\n` });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Login Succeeded/);
    assert.equal(fs.statSync(af).mode & 0o777, 0o600);
    const doc = JSON.parse(fs.readFileSync(af, 'utf8'));
    assert.equal(doc.auths[reg.addr].auth, Buffer.from(`${USER}:${PASS}`).toString('base64'));
    // pull uses the stored credentials
    r = s.run(['pull', '-q', ref], { env });
    assert.equal(r.code, 0, show(r));
    // --authfile works the same, and XDG_RUNTIME_DIR is the default location without REGISTRY_AUTH_FILE
    const xdg = fs.mkdtempSync(path.join(testTmp(), 'xdg-'));
    r = s.run(['login', '-u', USER, '-p', PASS, reg.addr], { env: { XDG_RUNTIME_DIR: xdg, REGISTRY_AUTH_FILE: '' } });
    assert.equal(r.code, 0, show(r));
    assert.ok(fs.existsSync(path.join(xdg, 'containers', 'auth.json')));
    r = s.run(['logout', '--authfile', path.join(xdg, 'containers', 'auth.json'), reg.addr]);
    assert.equal(r.code, 0, show(r));
    // logout removes the entry; pulling again needs credentials
    r = s.run(['logout', reg.addr], { env });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`Removed login credentials for ${reg.addr}`));
    assert.deepEqual(JSON.parse(fs.readFileSync(af, 'utf8')).auths, {});
    r = s.run(['logout', reg.addr], { env });
    assert.equal(r.code, 125, show(r));
    assert.match(r.stderr, /not logged into/);
    s.run(['rmi', '-a', '-f']);
    r = s.run(['pull', '-q', ref], { env });
    assert.equal(r.code, 125, show(r));
    assert.deepEqual(storeLayers(s.root), []);
    assert.deepEqual(storeTmp(s.root), []);
  } finally {
    await reg.stop();
  }
});

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

interface TokenServer {
  realm: string;
  close(): Promise<void>;
  issued: number;
}

/** A token server as distribution's token auth expects: RS256 JWT with the signer's cert in x5c. */
async function startTokenServer(dir: string, service: string, issuer: string, field: 'token' | 'access_token'): Promise<TokenServer & { cert: string }> {
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=conman-test-token'], { cwd: dir });
  const key = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
  const certPem = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  const der = new crypto.X509Certificate(certPem).raw;
  const port = await freePort();
  const state = { issued: 0 };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url!, `http://127.0.0.1:${port}`);
    const authz = req.headers.authorization ?? '';
    const ok = authz === `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`;
    if (!ok) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    const access = u.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean)
      .map((s) => {
        const [type, name, actions] = s.split(':');
        return { type, name, actions: actions!.split(',') };
      });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
    const claims = { iss: issuer, sub: USER, aud: u.searchParams.get('service') ?? service, exp: now + 600, nbf: now - 60, iat: now, jti: crypto.randomUUID(), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = crypto.sign('RSA-SHA256', Buffer.from(input), key);
    state.issued++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ [field]: `${input}.${b64url(sig)}`, expires_in: 600 }));
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    realm: `http://127.0.0.1:${port}/token`,
    cert: certPem,
    get issued() {
      return state.issued;
    },
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

for (const field of ['token', 'access_token'] as const) {
  test(`bearer token auth (${field}): pull with creds, login verifies, wrong password refused`, async () => {
    const dir = fs.mkdtempSync(path.join(testTmp(), 'token-'));
    const ts = await startTokenServer(dir, 'conman-registry', 'conman-issuer', field);
    let reg: Registry | undefined;
    try {
      reg = await startRegistry({ token: { realm: ts.realm, service: 'conman-registry', issuer: 'conman-issuer', rootCertBundle: ts.cert } });
      await push(reg.addr, 'tok/bb');
      const ref = `${reg.addr}/tok/bb:1`;
      const s = newStore('token');
      const env = { REGISTRY_AUTH_FILE: authFile() };
      let r = await s.runAsync(['pull', '-q', ref], { env });
      assert.equal(r.code, 125, show(r));
      assert.match(r.stderr, /authentication required/);
      const before = ts.issued;
      r = await s.runAsync(['pull', '-q', '--creds', `${USER}:${PASS}`, ref], { env });
      assert.equal(r.code, 0, show(r));
      assert.ok(ts.issued > before, 'a token was fetched');
      assert.equal(storeImages(s.root).length, 1);
      r = await s.runAsync(['login', '-u', USER, '-p', 'nope', reg.addr], { env });
      assert.equal(r.code, 125, show(r));
      assert.match(r.stderr, /invalid username\/password/);
      r = await s.runAsync(['login', '-u', USER, '-p', PASS, reg.addr], { env });
      assert.equal(r.code, 0, show(r));
      await s.runAsync(['rmi', ref]);
      r = await s.runAsync(['pull', '-q', ref], { env });
      assert.equal(r.code, 0, show(r));
    } finally {
      await reg?.stop();
      await ts.close();
    }
  });
}

test('TLS registry: --tls-verify=true checks the certificate; NODE_EXTRA_CA_CERTS adds the CA', async () => {
  const { spawn } = await import('node:child_process');
  const dir = fs.mkdtempSync(path.join(testTmp(), 'tlsreg-'));
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir });
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: ${dir}/data}}\nhttp: {addr: "${addr}", tls: {certificate: ${dir}/cert.pem, key: ${dir}/key.pem}}\n`,
  );
  const proc = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const c = net.connect(port, '127.0.0.1', () => (c.destroy(), resolve(true)));
        c.on('error', () => resolve(false));
      });
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    await promisify(execFile)('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}:1`, `docker://${addr}/tls/bb:1`]);
    const s = newStore('tls');
    const ref = `${addr}/tls/bb:1`;
    let r = await s.runAsync(['pull', '-q', '--tls-verify=true', ref], { env: { NODE_EXTRA_CA_CERTS: '' } });
    assert.equal(r.code, 125, show(r));
    assert.match(r.stderr, /TLS to registry .* failed: .*(self.signed|certificate)/i);
    assert.deepEqual(storeImages(s.root), []);
    r = await s.runAsync(['pull', '-q', '--tls-verify=true', ref], { env: { NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') } });
    assert.equal(r.code, 0, show(r));
    // a local registry is insecure by default: https without verification works too
    const s2 = newStore('tls2');
    r = await s2.runAsync(['pull', '-q', ref], { env: { NODE_EXTRA_CA_CERTS: '' } });
    assert.equal(r.code, 0, show(r));
  } finally {
    proc.kill('SIGTERM');
  }
});
