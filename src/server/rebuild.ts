// Site rebuilds off the request path: debounced (a burst of stored submissions costs one build),
// held back while submissions are still being recomputed (up to maxDelayMs, so two CPU-heavy
// threads do not starve the request thread on a small machine), run in a worker thread, never
// two at once; GETs are answered from the last built site and state meanwhile.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { SiteJob, SiteState } from './site-worker.ts';

export class SiteRebuilder {
  private readonly pool: Piscina;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  /** when the oldest unserved rebuild request was made */
  private since: number | undefined;
  private closed = false;
  /** resolves when no build is running or scheduled (tests and shutdown wait on it) */
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly job: SiteJob,
    private readonly debounceMs: number,
    private readonly onBuilt: (state: SiteState) => void,
    private readonly log: (line: string) => void,
    private readonly busy: () => boolean = () => false,
    private readonly maxDelayMs = 30_000,
  ) {
    this.pool = new Piscina({ filename: fileURLToPath(new URL('./site-entry.mjs', import.meta.url)), minThreads: 0, maxThreads: 1, idleTimeout: 60_000, env: { ...process.env } });
  }

  /** Build now and wait (startup). */
  async buildNow(): Promise<void> {
    this.onBuilt((await this.pool.run(this.job)) as SiteState);
  }

  /** Ask for a rebuild: it starts debounceMs after the last request, or after the running one. */
  schedule(): void {
    if (this.closed) return;
    this.since ??= Date.now();
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.busy() && Date.now() - this.since! < this.maxDelayMs) return this.arm();
      this.since = undefined;
      if (this.running) this.dirty = true;
      else this.start();
    }, this.debounceMs);
    this.timer.unref();
  }

  private start(): void {
    this.running = (async () => {
      try {
        this.onBuilt((await this.pool.run(this.job)) as SiteState);
      } catch (err) {
        if (!this.closed) this.log(`site rebuild failed: ${(err as Error).message}`);
      }
    })().finally(() => {
      this.running = undefined;
      if (this.dirty && !this.closed) {
        this.dirty = false;
        this.start();
      } else if (!this.timer) this.idleWaiters.splice(0).forEach((w) => w());
    });
  }

  /** Resolves once no rebuild is scheduled or running. */
  idle(): Promise<void> {
    if (!this.timer && !this.running) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.pool.destroy();
    this.idleWaiters.splice(0).forEach((w) => w());
  }
}
