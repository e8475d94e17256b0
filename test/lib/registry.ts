/**
 * Real registries for tests: Debian's docker-registry (distribution) on a free 127.0.0.1 port, and images
 * built from busybox-static with umoci and pushed with skopeo. Nothing here talks to any other address.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { testTmp } from './tmp.js';

export interface Registry {
  addr: string; // host:port
  dir: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RegistryOptions {
  /** htpasswd file content (bcrypt) for basic auth; see htpasswdLine(). */
  htpasswd?: string;
  /** token auth: realm URL, service, issuer, and the PEM bundle of the token signer. */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const dir = fs.mkdtempSync(path.join(testTmp(), 'registry-'));
  fs.mkdirSync(path.join(dir, 'data'));
  let auth = '';
  if (opts.htpasswd) {
    fs.writeFileSync(path.join(dir, 'htpasswd'), opts.htpasswd);
    auth = `auth: {htpasswd: {realm: conman-test, path: ${path.join(dir, 'htpasswd')}}}`;
  } else if (opts.token) {
    fs.writeFileSync(path.join(dir, 'token.pem'), opts.token.rootCertBundle);
    auth = `auth: {token: {realm: "${opts.token.realm}", service: "${opts.token.service}", issuer: "${opts.token.issuer}", rootcertbundle: ${path.join(dir, 'token.pem')}}}`;
  }
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: {level: error}',
      `storage: {filesystem: {rootdirectory: ${path.join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: "${addr}"}`,
      auth,
      '',
    ].join('\n'),
  );
  const log = fs.openSync(path.join(dir, 'registry.log'), 'a');
  const proc = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([done, new Promise((r) => setTimeout(r, 3000))]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  };
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return { addr, dir, proc, stop };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`registry did not start: ${fs.readFileSync(path.join(dir, 'registry.log'), 'utf8')}`);
}

/** Fills a rootfs with busybox-static and its applets, /etc/passwd and /etc/group. */
export function busyboxRootfs(rootfs: string): void {
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(rootfs, 'tmp'), { recursive: true, mode: 0o1777 });
  fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  fs.writeFileSync(
    path.join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\ntester:x:1000:1000:tester:/home/tester:/bin/sh\n',
  );
  fs.writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nnobody:x:65534:\ntester:x:1000:\nextra:x:2000:tester\n');
}

export interface BuildOptions {
  /** Called with the rootfs directory to fill (defaults to busyboxRootfs). Called once per layer. */
  layers?: Array<(rootfs: string) => void>;
  /** umoci config arguments, e.g. ['--config.cmd', 'sh', '--config.env', 'PATH=/bin']. */
  config?: string[];
  /** skopeo --dest-compress-format: gzip (default), zstd. */
  compress?: 'gzip' | 'zstd';
  /** Build an OCI layout only (returns its path) instead of pushing. */
  layoutOnly?: boolean;
}

/**
 * Builds an image with umoci (one layer per entry of `layers`) and pushes it to registry/name:tag with skopeo.
 * Returns the path of the OCI layout it built (image name inside it: `name`).
 */
export function buildImage(addr: string | null, name: string, tag: string, opts: BuildOptions = {}): string {
  const work = fs.mkdtempSync(path.join(testTmp(), 'img-'));
  const layout = path.join(work, 'oci');
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  run('umoci', ['init', '--layout', layout]);
  run('umoci', ['new', '--image', `${layout}:${tag}`]);
  const layers = opts.layers ?? [busyboxRootfs];
  for (const fill of layers) {
    const bundle = path.join(work, 'bundle');
    run('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
    fill(path.join(bundle, 'rootfs'));
    run('umoci', ['repack', '--image', `${layout}:${tag}`, bundle]);
    fs.rmSync(bundle, { recursive: true, force: true });
  }
  if (opts.config?.length) run('umoci', ['config', '--image', `${layout}:${tag}`, ...opts.config]);
  if (addr && !opts.layoutOnly) {
    const args = ['copy', '-q', '--dest-tls-verify=false'];
    if (opts.compress === 'zstd') args.push('--dest-compress-format', 'zstd', '--dest-compress');
    args.push(`oci:${layout}:${tag}`, `docker://${addr}/${name}:${tag}`);
    run('skopeo', args);
  }
  return layout;
}

/** The registry the suite shares (started by test/run.sh), with busybox:latest pushed to it. */
export function sharedRegistry(): string {
  const addr = process.env.CONMAN_TEST_REGISTRY;
  if (!addr) throw new Error('CONMAN_TEST_REGISTRY is not set: run the tests through `npm test` (test/run.sh)');
  return addr;
}
