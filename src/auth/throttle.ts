import ipaddr from 'ipaddr.js';

/**
 * Counts failed logins per key (an e-mail, an e-mail and address, a browser) in a fixed window that
 * starts at the first failure. Kept in memory like the per-IP rate limit: one process serves the app.
 * The number of keys is capped so a flood of made-up e-mails cannot grow it without bound.
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

  /** Takes back one failure (an attempt counted in advance that turned out right). */
  forgive(key: string): void {
    const entry = this.current(key);
    if (!entry) return;
    entry.count -= 1;
    if (entry.count <= 0) this.failures.delete(key);
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

/** At most this many failed logins per account from one address, or from one browser that signed in to it… */
export const ACCOUNT_MAX_FAILURES = 10;
/** …and this many from all the browsers that never did, together… */
export const UNKNOWN_BROWSERS_MAX_FAILURES = 30;
/** …in this window. */
export const ACCOUNT_FAILURE_WINDOW_MS = 15 * 60_000;

/** The network an address stands for: itself for IPv4, its /64 for IPv6 (one subscriber's usual share). */
export function addressGroup(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/64`).toString()}/64`;
}

export type LoginAttempt = {
  /** the lower-cased e-mail tried */
  email: string;
  /** the client's address */
  address: string;
  /** the id of the known-device cookie this browser holds for that account, if any (src/auth/device.ts) */
  device: string | null;
};

/** An attempt let through, counted as failed until `succeeded` says otherwise. */
export type LoginTicket = { device: string } | { email: string; address: string };

/**
 * OWASP's "device cookies" against both guessing and lock-out. A browser that signed in to the account
 * before (it holds a signed cookie saying so) has a count of its own; every other attempt counts per
 * account and address (an IPv6 /64 as one), and all of them together per account. So a stranger's
 * failures lock out the stranger's address and, past the shared ceiling, other unknown browsers – never
 * the owner's browser, and an address with no failures gets in until that ceiling; guessing stays at
 * most UNKNOWN_BROWSERS_MAX_FAILURES checks per account and window. Unknown e-mails are counted alike, so
 * the answers tell nothing about which accounts exist. In memory, like the per-address rate limit.
 */
export class LoginLockout {
  private readonly devices: FailureThrottle;
  private readonly addresses: FailureThrottle;
  private readonly unknownBrowsers: FailureThrottle;

  constructor(opts: { now?: () => number } = {}) {
    const windowMs = ACCOUNT_FAILURE_WINDOW_MS;
    this.devices = new FailureThrottle({ max: ACCOUNT_MAX_FAILURES, windowMs, now: opts.now });
    this.addresses = new FailureThrottle({ max: ACCOUNT_MAX_FAILURES, windowMs, now: opts.now });
    this.unknownBrowsers = new FailureThrottle({ max: UNKNOWN_BROWSERS_MAX_FAILURES, windowMs, now: opts.now });
  }

  /**
   * Before the (slow) password check: null when this attempt is refused; else it is counted as failed
   * now, so parallel guesses cannot all slip past the limit, and `succeeded` takes that back.
   */
  begin(attempt: LoginAttempt): LoginTicket | null {
    // a known browser that failed too often is an unknown one from then on
    if (attempt.device !== null && !this.devices.isBlocked(attempt.device)) {
      this.devices.recordFailure(attempt.device);
      return { device: attempt.device };
    }
    const address = `${attempt.email} ${addressGroup(attempt.address)}`;
    if (this.addresses.isBlocked(address) || this.unknownBrowsers.isBlocked(attempt.email)) return null;
    this.addresses.recordFailure(address);
    this.unknownBrowsers.recordFailure(attempt.email);
    return { email: attempt.email, address };
  }

  /** The password was right: this browser's or address's count starts afresh (the shared one only loses this try). */
  succeeded(ticket: LoginTicket): void {
    if ('device' in ticket) {
      this.devices.reset(ticket.device);
      return;
    }
    this.addresses.reset(ticket.address);
    this.unknownBrowsers.forgive(ticket.email);
  }
}
