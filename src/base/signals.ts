/**
 * Signal names and numbers, one table for the CLI and the shim (Linux's generic numbering, as on x86-64 and
 * arm64). Imports nothing: the shim bundles it.
 */
export const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/** 'SIGTERM' → 15; undefined for a name that is not a signal. */
export function signalNumber(name: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(SIGNALS, name) ? SIGNALS[name] : undefined;
}

/** 15 → 'SIGTERM' (the first name of a number: SIGABRT, not SIGIOT); undefined for an unknown number. */
export function signalName(n: number): string | undefined {
  for (const k in SIGNALS) if (SIGNALS[k] === n) return k;
  return undefined;
}
