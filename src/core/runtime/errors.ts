/**
 * runc's error text → podman's exit codes, one mapping for `run`/`start` (the shim reports runc's last logged
 * error) and `exec` (the CLI reads it from the session's runc log): 127 not found, 126 not executable, else 125.
 */
import path from 'node:path';
import { ConmanError } from '../../base/errors.js';

/** `runtime` is the runtime's path (its base name prefixes the message, as podman's `crun: ...`). */
export function runtimeError(runtime: string, msg: string): ConmanError {
  // runc's own prefix of the error it logged: `runc run failed: ` (run) or `exec failed: ` (exec)
  const m = msg.replace(/^(runc run failed|(runc )?exec failed): /, '');
  const rt = path.basename(runtime);
  if (/executable file not found|no such file or directory/.test(m))
    return new ConmanError('ENOTFOUND', `${rt}: ${m}: OCI runtime attempted to invoke a command that was not found`);
  if (/permission denied|exec format error|is a directory/.test(m)) return new ConmanError('ENOTEXEC', `${rt}: ${m}: OCI permission denied`);
  return new ConmanError('ERUNTIME', `${rt}: ${m}`);
}
