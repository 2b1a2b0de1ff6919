/**
 * Counts failed logins per key (the lower-cased e-mail) in a fixed window that starts at the first
 * failure. Kept in memory like the per-IP rate limit: one process serves the app. The number of
 * keys is capped so a flood of made-up e-mails cannot grow it without bound.
 */
export class FailureThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly opts: { max: number; windowMs: number; maxKeys?: number; now?: () => number }) {}

  private now() {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  private current(key: string) {
    const entry = this.failures.get(key);
    if (entry && this.now() - entry.since >= this.opts.windowMs) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }

  /** True when the key has used up its failures in the current window. */
  isBlocked(key: string): boolean {
    return (this.current(key)?.count ?? 0) >= this.opts.max;
  }

  recordFailure(key: string): void {
    const entry = this.current(key);
    if (entry) {
      entry.count += 1;
      return;
    }
    if (this.failures.size >= (this.opts.maxKeys ?? 100_000)) this.evict();
    this.failures.set(key, { count: 1, since: this.now() });
  }

  /** A successful login starts the count afresh. */
  reset(key: string): void {
    this.failures.delete(key);
  }

  get size(): number {
    return this.failures.size;
  }

  private evict() {
    for (const key of [...this.failures.keys()]) this.current(key);
    // still full of live entries: drop the oldest (Map keeps insertion order)
    while (this.failures.size >= (this.opts.maxKeys ?? 100_000)) {
      this.failures.delete(this.failures.keys().next().value as string);
    }
  }
}

/** At most this many failed logins per account… */
export const ACCOUNT_MAX_FAILURES = 10;
/** …in this window. */
export const ACCOUNT_FAILURE_WINDOW_MS = 15 * 60_000;
