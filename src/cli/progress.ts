/**
 * Pull/load progress on stderr: cli-progress bars on a terminal, plain podman-like lines otherwise,
 * nothing with -q. The core reports events (src/core/image/progress-events.ts); progressReporter() draws them.
 */
import cliProgress, { type MultiBar, type SingleBar } from 'cli-progress';
import type { OnProgress } from '../core/image/progress-events.js';

export interface Bar {
  add(n: number): void;
  done(): void;
}

export class Progress {
  private multi?: MultiBar;
  private readonly tty: boolean;
  constructor(private readonly enabled: boolean) {
    this.tty = enabled && !!process.stderr.isTTY;
  }
  line(msg: string): void {
    if (!this.enabled) return;
    if (this.multi) this.multi.log(`${msg}\n`);
    else process.stderr.write(`${msg}\n`);
  }
  bar(label: string, total: number): Bar {
    if (!this.tty) {
      if (this.enabled) process.stderr.write(`${label}\n`);
      return { add() {}, done() {} };
    }
    if (!this.multi) {
      const cp = cliProgress;
      this.multi = new cp.MultiBar(
        {
          stream: process.stderr,
          format: '{label} [{bar}] {value_mb} / {total_mb} MiB',
          hideCursor: true,
          clearOnComplete: false,
          barsize: 30,
          fps: 10,
        },
        cp.Presets.shades_classic,
      );
    }
    const mb = (n: number) => (n / 1048576).toFixed(1);
    const b: SingleBar = this.multi.create(total || 1, 0, { label, value_mb: '0.0', total_mb: total ? mb(total) : '?' });
    let v = 0;
    return {
      add(n: number) {
        v += n;
        b.update(total ? Math.min(v, total) : 0, { value_mb: mb(v) });
      },
      done() {
        b.update(total || 1, { value_mb: mb(v) });
      },
    };
  }
  stop(): void {
    this.multi?.stop();
  }
}

/** The podman-like short form of a digest in progress lines. */
const short = (digest: string) => digest.slice(7, 19);

/**
 * A progress callback for pullImage/loadArchive that draws on stderr. Each attempt (a short name may try
 * several registries) ends with `finished`, which stops its bars; the next attempt starts a fresh set.
 */
export function progressReporter(): OnProgress {
  let progress = new Progress(true);
  const bars = new Map<string, Bar>();
  return (e) => {
    switch (e.type) {
      case 'trying':
        return progress.line(`Trying to pull ${e.ref}...`);
      case 'signatures':
        return progress.line('Getting image source signatures');
      case 'layer-skipped':
        return progress.line(`Copying blob ${short(e.digest)} skipped: already exists`);
      case 'layer-started':
        if (e.size === undefined) return progress.line(`Copying blob ${short(e.digest)}`);
        bars.set(e.diffID, progress.bar(`Copying blob ${short(e.digest)}`, e.size));
        return;
      case 'layer-bytes':
        return bars.get(e.diffID)?.add(e.bytes);
      case 'layer-done':
        bars.get(e.diffID)?.done();
        bars.delete(e.diffID);
        return;
      case 'config-done':
        return progress.line(`Copying config ${short(e.digest)} done`);
      case 'writing-manifest':
        return progress.line('Writing manifest to image destination');
      case 'finished':
        progress.stop();
        bars.clear();
        progress = new Progress(true);
        return;
    }
  };
}
