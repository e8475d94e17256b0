/**
 * `conman exec`: runs a process in a running container with `runc exec -p process.json`, as a child of the CLI
 * (the container's shim is not involved: the exec session lives as long as the CLI that waits for it).
 * Without -t, stdout is inherited as is (byte for byte) and stderr goes through a pipe so that runc's own
 * error line can be replaced by conman's message; runc's exit status 255 with an `exec failed` error maps to
 * 127 (not found), 126 (not executable) or 125 (core/runtime/errors.ts, as for run).
 */
import { lastRuncError } from '../../base/runc-log.js';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pidExists } from '../../base/proc.js';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { resolveContainer } from './record.js';
import { current } from './state.js';
import { effectiveCaps } from '../runtime/spec.js';
import { resolveUser } from '../runtime/user.js';
import { runtimeError } from '../runtime/errors.js';
import { runcRoot, volatileDir, mergedDir } from '../../storage/layout.js';

export interface ExecOptions {
  interactive?: boolean;
  tty?: boolean;
  detach?: boolean;
  env?: string[];
  envFile?: string[];
  workdir?: string;
  user?: string;
}


/** Files of exec sessions whose CLI was killed (exec-<pid>-<tag>.json/.log with that pid gone) are removed. */
function sweepExecFiles(vdir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(vdir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^exec-(\d+)-[0-9a-f]+\.(json|log)$/.exec(n);
    if (!m) continue;
    if (!pidExists(Number(m[1]))) fs.rmSync(path.join(vdir, n), { force: true });
  }
}

export async function execInContainer(ctx: Context, ref: string, cmd: string[], o: ExecOptions): Promise<number> {
  if (!cmd.length) throw new ConmanError('EUSAGE', 'exec needs a command to run');
  if (o.detach && o.tty) throw new ConmanError('EINVAL', 'exec -d -t is not supported');
  const rec = resolveContainer(ctx, ref);
  const cur = current(ctx, rec.id)!;
  if (cur.state.status !== 'running' && cur.state.status !== 'stopping')
    throw new ConmanError('ECTRSTATE', `can only create exec sessions on running containers: container ${rec.name} is ${cur.state.status}: container state improper`);
  const { validateCreate } = await import('./options.js');
  const v = validateCreate({ image: '', command: [], env: o.env, envFile: o.envFile });
  const env = new Map<string, string>();
  for (const e of rec.config.env) {
    const i = e.indexOf('=');
    env.set(e.slice(0, i), e.slice(i + 1));
  }
  for (const [k, val] of v.env) env.set(k, val);
  if (o.tty && !env.has('TERM')) env.set('TERM', 'xterm');
  const user = resolveUser(mergedDir(ctx, rec.id), o.user ?? rec.config.user);
  if (user.home && !env.has('HOME')) env.set('HOME', user.home);
  const proc = {
    terminal: !!o.tty,
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    args: cmd,
    env: [...env].map(([k, val]) => `${k}=${val}`),
    cwd: o.workdir ?? (rec.config.workingDir || '/'),
    capabilities: { bounding: effectiveCaps(rec.config), effective: effectiveCaps(rec.config), permitted: effectiveCaps(rec.config) },
    noNewPrivileges: false,
  };
  const vdir = volatileDir(ctx, rec.id);
  fs.mkdirSync(vdir, { recursive: true });
  sweepExecFiles(vdir);
  const tag = `${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
  const pfile = path.join(vdir, `exec-${tag}.json`);
  const logf = path.join(vdir, `exec-${tag}.log`);
  fs.writeFileSync(pfile, JSON.stringify(proc));
  const args = ['--root', runcRoot(ctx), '--log', logf, '--log-format', 'json', 'exec', ...(o.tty ? ['-t'] : []), ...(o.detach ? ['-d'] : []), '-p', pfile, rec.id];
  if (o.tty && !o.detach) {
    const pidFile = path.join(vdir, `exec-${tag}.pid`);
    const ptyArgs = [...args.slice(0, args.indexOf('exec') + 1), '--pid-file', pidFile, ...args.slice(args.indexOf('exec') + 1)];
    const code = await execUnderPty(ctx.runtime, ptyArgs, !!o.interactive, pidFile);
    fs.rmSync(pidFile, { force: true });
    const err = code === 255 ? lastRuncError(logf) : undefined;
    fs.rmSync(pfile, { force: true });
    fs.rmSync(logf, { force: true });
    if (err) throw runtimeError(ctx.runtime, err);
    return code;
  }
  const stdio: Array<'inherit' | 'ignore' | 'pipe'> = o.detach ? ['ignore', 'ignore', 'pipe'] : [o.interactive ? 'inherit' : 'ignore', 'inherit', 'pipe'];
  const child = spawn(ctx.runtime, args, { stdio });
  const fwd = (sig: NodeJS.Signals) => () => child.kill(sig);
  const sigs = (['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as NodeJS.Signals[]).map((s) => [s, fwd(s)] as const);
  if (!o.tty) for (const [s, h] of sigs) process.on(s, h);
  child.stderr?.on('data', (d: Buffer) => {
    // runc prints its own error after logging it: conman reports it below instead
    if (/^(exec failed|runc exec failed): /.test(d.toString('latin1')) && lastRuncError(logf)) return;
    process.stderr.write(d);
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', (e) => reject(new ConmanError('ERUNTIME', `cannot run ${ctx.runtime}: ${e.message}`)));
    child.on('close', (c, s) => resolve(c ?? 128 + (s ? (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 }) as Record<string, number>)[s] ?? 0 : 0)));
  });
  for (const [s, h] of sigs) process.off(s, h);
  const err = code === 255 || (o.detach && code !== 0) ? lastRuncError(logf) : undefined;
  fs.rmSync(pfile, { force: true });
  fs.rmSync(logf, { force: true });
  if (err) throw runtimeError(ctx.runtime, err);
  return code;
}

/**
 * exec -t: `runc exec -t` needs a controlling terminal, which CI jobs, cron and `setsid` don't have. So
 * runc runs under a pseudo-terminal of conman's own (node-pty, as the shim does for run -t), sized like the
 * user's terminal, and conman relays: the user's keys in (raw when stdin is a terminal), the output out.
 */
async function execUnderPty(runtime: string, args: string[], interactive: boolean, pidFile: string): Promise<number> {
  const req = createRequire(import.meta.url);
  const pty = req('node-pty') as typeof import('node-pty');
  const cols = process.stdout.columns || 80;
  const rows = process.stdout.rows || 24;
  const p = pty.spawn(runtime, args, { name: process.env.TERM || 'xterm', cols, rows, env: process.env as Record<string, string> });
  p.onData((d) => process.stdout.write(d));
  const onResize = () => p.resize(process.stdout.columns || cols, process.stdout.rows || rows);
  process.stdout.on('resize', onResize);
  const stdin = process.stdin;
  const raw = interactive && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  const onIn = (d: Buffer) => p.write(d);
  const onEnd = () => p.write('\x04'); // EOF typed at the terminal
  let exited = false;
  const done = new Promise<{ exitCode: number; signal?: number }>((resolve) =>
    p.onExit((e) => {
      exited = true;
      resolve(e);
    }),
  );
  if (interactive) {
    // Input only once runc has started the process (it writes the pid file after setting its terminal up):
    // bytes typed into the pty before runc made it raw are taken by the pty's own line discipline.
    const until = Date.now() + 10_000;
    while (!exited && !fs.existsSync(pidFile) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    stdin.on('data', onIn);
    stdin.on('end', onEnd);
  }
  const e = await done;
  process.stdout.off('resize', onResize);
  if (interactive) {
    stdin.off('data', onIn);
    stdin.off('end', onEnd);
    stdin.pause();
  }
  if (raw) stdin.setRawMode(false);
  return e.signal ? 128 + e.signal : e.exitCode;
}
