/**
 * Pull/load progress on stderr: cli-progress bars on a terminal, plain podman-like lines otherwise,
 * nothing with -q.
 */
import cliProgress, { type MultiBar, type SingleBar } from 'cli-progress';

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
