// A progress bar with ETA for long work (cli-progress); quiet when not a TTY,
// where it prints a line every few percent instead so logs stay readable.
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, extra?: string): void;
  stop(): void;
}

export function progressBar(label: string, total: number, opts: { quiet?: boolean } = {}): Progress {
  if (opts.quiet) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {extra}`, stream: process.stderr, hideCursor: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { extra: '' });
    return { update: (done, extra = '') => bar.update(done, { extra }), stop: () => bar.stop() };
  }
  const t0 = Date.now();
  let lastPct = -1;
  return {
    update(done, extra = '') {
      const pct = Math.floor((100 * done) / Math.max(1, total));
      if (pct < lastPct + 10 && done < total) return;
      lastPct = pct;
      const elapsed = (Date.now() - t0) / 1000;
      const eta = done > 0 ? (elapsed * (total - done)) / done : 0;
      process.stderr.write(`${label} ${done}/${total} (${pct}%) elapsed ${elapsed.toFixed(0)}s ETA ${eta.toFixed(0)}s ${extra}\n`);
    },
    stop() {},
  };
}
