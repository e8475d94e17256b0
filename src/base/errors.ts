/**
 * The one error family of conman. Every failure the user can cause or meet is a ConmanError with a stable
 * code; src/main.ts prints it once and maps it to an exit code. Anything else that escapes is a bug.
 *
 * Exit codes follow podman: 125 conman itself failed, 126 the command could not be invoked,
 * 127 the command was not found, anything else is the container's own code.
 */
export type ErrorCode =
  | 'EUSAGE' // bad flags or arguments
  | 'EINVAL' // bad value (reference, name, size, ...)
  | 'ENOSUCHCTR'
  | 'ENOSUCHIMAGE'
  | 'ENOSUCHNET'
  | 'ECTREXISTS'
  | 'ENAMEINUSE'
  | 'ECTRSTATE' // container in the wrong state for the operation
  | 'EIMAGEINUSE'
  | 'EREGISTRY' // registry answered with an error
  | 'EAUTH' // registry refused our credentials
  | 'ENETWORK' // could not reach a registry
  | 'EDIGEST' // content did not match its digest
  | 'ELAYER' // hostile or corrupt layer tarball
  | 'ERUNTIME' // the OCI runtime failed
  | 'ESTATE' // corrupt or unreadable state on disk
  | 'ELOCK'
  | 'ENOTEXEC' // 126
  | 'ENOTFOUND' // 127
  | 'EINTERNAL';

export const EXIT_ERROR = 125;
export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_NOT_FOUND = 127;

export interface ErrorOptions {
  hint?: string;
  cause?: unknown;
  exitCode?: number;
}

export class ConmanError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ConmanError';
    this.code = code;
    this.hint = opts.hint;
    this.exitCode =
      opts.exitCode ?? (code === 'ENOTEXEC' ? EXIT_NOT_EXECUTABLE : code === 'ENOTFOUND' ? EXIT_NOT_FOUND : EXIT_ERROR);
  }
}

/** Ends the process with a code and no message (the container's own exit code, or a batch that already reported). */
export class ExitCodeError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitCodeError';
  }
}

export function isConmanError(e: unknown, code?: ErrorCode): e is ConmanError {
  return e instanceof ConmanError && (code === undefined || e.code === code);
}

/** A short description of an unknown thrown value, for wrapping causes into messages. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
