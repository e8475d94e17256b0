/**
 * Running the host tools networking needs (CNI plugins, iptables-save/-restore, ip, unshare, umount). They run
 * asynchronously through execa, most of them while a lock is held: a blocked event loop would starve
 * proper-lockfile's heartbeat, and a lock not refreshed for 5 s is taken over by another process.
 * execa is loaded on first use, so that commands doing no bridge networking never load it.
 */

export interface ToolResult {
  /** The exit code; null when the tool was killed by a signal or did not start. */
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Set when the tool could not be run to its end: not started (ENOENT, EACCES), timed out, too much output. */
  error?: Error & { code?: string };
}

export interface ToolOptions {
  /** Written to stdin, which is then closed ('' closes it right away). */
  input?: string;
  /** The whole environment (not added to conman's own). Default: conman's environment. */
  env?: Record<string, string>;
  /** Milliseconds before the tool is killed (SIGTERM); default none. */
  timeout?: number;
  /** Bytes of output past which the tool is killed; the default is node's spawnSync's. */
  maxBuffer?: number;
}

/** Runs a tool to its end; never rejects: failures are in the result, as with spawnSync. */
export async function runTool(file: string, args: string[], opts: ToolOptions = {}): Promise<ToolResult> {
  const { execa } = await import('execa');
  const r = await execa(file, args, {
    input: opts.input ?? '',
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
    maxBuffer: opts.maxBuffer ?? 1024 * 1024,
    reject: false,
    stripFinalNewline: false,
    ...(opts.env ? { env: opts.env, extendEnv: false } : {}),
  });
  const out: ToolResult = { status: r.exitCode ?? null, signal: r.signal ?? null, stdout: r.stdout, stderr: r.stderr };
  // the messages node's spawn gives (`spawn ip ENOENT`), for timeouts and overflows too
  const fail = (code: string) => Object.assign(new Error(`spawn ${file} ${code}`), { code });
  if (r.timedOut) out.error = fail('ETIMEDOUT');
  else if (r.isMaxBuffer) out.error = fail('ENOBUFS');
  else if (r.failed && r.exitCode === undefined && !r.signal) out.error = r.cause instanceof Error ? r.cause : fail(r.code ?? 'EUNKNOWN');
  if (out.error) out.status = null;
  return out;
}
