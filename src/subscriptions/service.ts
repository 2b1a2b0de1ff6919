import { eq } from 'drizzle-orm';
import { truncateWal, type Db, type DbOrTx } from '../db/client.js';
import { subscriptions } from '../db/schema/index.js';
import type { Frequency } from '../db/schema/notifications.js';
import { recordClauseShown, type Clause } from './clause.js';
import {
  confirmationsSince,
  deleteExpiredTokens,
  endSubscription,
  eraseAddress,
  findSubscription,
  forgetMailboxHashes,
  insertConfirmation,
  lastConfirmation,
  pendingRequestedBefore,
  scopeInfo,
  subscriptionById,
  subscriptionsOf,
  type Scope,
} from './queries.js';
import { findToken, lookupToken as lookup, mintToken, TOKEN_LIFETIME_DAYS } from './tokens.js';

/** A pending request is re-mailed at most this often. */
export const RESEND_AFTER_MS = 10 * 60_000;
/**
 * At most this many confirmation mails per mailbox (an address without its +tag) per day; more requests are
 * silently not mailed.
 */
export const CONFIRMATIONS_PER_DAY = 5;
/** An unconfirmed request is deleted after this long (as long as its confirm link works). */
export const PENDING_LIFETIME_MS = TOKEN_LIFETIME_DAYS.confirm * 86_400_000;

const DAY_MS = 86_400_000;

export type FollowRequest = { email: string; scope: Scope; frequency: Frequency; clause: Clause };
/** What happened, for tests and logs only: the visitor always gets the same answer. */
export type FollowOutcome = 'created' | 'resent' | 'pending-recently-mailed' | 'already-confirmed' | 'address-limit';

export class ScopeNotFound extends Error {}

/**
 * Records a request to follow a scope (double opt-in). New address+scope: a pending subscription and its
 * confirmation mail in one BEGIN IMMEDIATE transaction. Pending: the confirmation again, at most every 10 minutes.
 * Confirmed: nothing (never a second confirmation mail). Each path does about the same work, so neither the answer
 * nor its timing tells whether the address already follows the scope.
 */
export function requestFollow(db: Db, req: FollowRequest, now = new Date()): FollowOutcome {
  return db.transaction(
    (tx) => {
      if (!scopeInfo(tx, req.scope)) throw new ScopeNotFound('Nie ma tego, co chcesz obserwować.');
      recordClauseShown(tx, req.clause, now);
      const existing = findSubscription(tx, req.email, req.scope);
      const underLimit = confirmationsSince(tx, req.email, new Date(now.getTime() - DAY_MS)) < CONFIRMATIONS_PER_DAY;
      if (existing?.state === 'confirmed') return 'already-confirmed';
      if (!underLimit) return 'address-limit';
      if (!existing) {
        const { id } = tx
          .insert(subscriptions)
          .values({
            email: req.email,
            scopeKind: req.scope.kind,
            scopeId: req.scope.id,
            frequency: req.frequency,
            state: 'pending',
            clauseVersion: req.clause.version,
            requestedAt: now.toISOString(),
          })
          .returning({ id: subscriptions.id })
          .get();
        insertConfirmation(tx, { id, email: req.email }, 1, now);
        return 'created';
      }
      const last = lastConfirmation(tx, existing.id);
      const mailedRecently = last.createdAt && now.getTime() - Date.parse(last.createdAt) < RESEND_AFTER_MS;
      if (mailedRecently) return 'pending-recently-mailed';
      // the latest request counts: its frequency, the clause it was shown, and the 7 days start again
      tx.update(subscriptions)
        .set({
          frequency: req.frequency,
          clauseVersion: req.clause.version,
          requestedAt: now.toISOString(),
        })
        .where(eq(subscriptions.id, existing.id))
        .run();
      insertConfirmation(tx, existing, last.count + 1, now);
      return 'resent';
    },
    { behavior: 'immediate' },
  );
}

/** The pending (or already confirmed) subscription a confirm link is about; changes nothing. */
export function confirmationFor(db: Db, token: string, now = new Date()) {
  const found = lookup(db, token, 'confirm', now);
  if (found.status !== 'ok') return found;
  const sub = found.row.subscriptionId ? subscriptionById(db, found.row.subscriptionId) : undefined;
  if (!sub || sub.email !== found.row.email) return { status: 'unknown' as const };
  const scope = scopeInfo(db, { kind: sub.scopeKind, id: sub.scopeId });
  return { status: 'ok' as const, value: { subscription: sub, scope } };
}

/**
 * Confirms the subscription a confirm link names (only the POST of the confirmation page calls this) and returns
 * a new manage token for "Twoje subskrypcje". Confirming twice is harmless.
 */
export function confirm(db: Db, token: string, now = new Date()) {
  return db.transaction(
    (tx) => {
      const found = lookup(tx, token, 'confirm', now);
      if (found.status !== 'ok') return found;
      const sub = found.row.subscriptionId ? subscriptionById(tx, found.row.subscriptionId) : undefined;
      if (!sub || sub.email !== found.row.email) return { status: 'unknown' as const };
      if (sub.state !== 'confirmed') {
        tx.update(subscriptions)
          .set({ state: 'confirmed', confirmedAt: now.toISOString() })
          .where(eq(subscriptions.id, sub.id))
          .run();
      }
      const manageToken = mintToken(tx, { purpose: 'manage', email: sub.email, subscriptionId: sub.id, now });
      return {
        status: 'ok' as const,
        value: { manageToken, scope: scopeInfo(tx, { kind: sub.scopeKind, id: sub.scopeId }) },
      };
    },
    { behavior: 'immediate' },
  );
}

/** "Twoje subskrypcje": only the subscriptions of the manage token's own address. */
export function manageView(db: Db, token: string, now = new Date()) {
  const found = lookup(db, token, 'manage', now);
  if (found.status !== 'ok') return found;
  const items = subscriptionsOf(db, found.row.email).map((s) => ({
    ...s,
    scope: scopeInfo(db, { kind: s.scopeKind, id: s.scopeId }),
  }));
  return { status: 'ok' as const, value: { email: found.row.email, items } };
}

/**
 * Runs a change for the manage token's address on one of its own subscriptions. Returns the token to go back to:
 * the same one, or a new one when ending the subscription the token was minted for removed it too.
 */
function onOwnSubscription(
  db: Db,
  token: string,
  subscriptionId: number,
  now: Date,
  change: (tx: DbOrTx, sub: typeof subscriptions.$inferSelect) => void,
) {
  return db.transaction(
    (tx) => {
      const found = lookup(tx, token, 'manage', now);
      if (found.status !== 'ok') return found;
      const sub = subscriptionById(tx, subscriptionId);
      // someone else's subscription id looks exactly like one that does not exist
      if (!sub || sub.email !== found.row.email) return { status: 'not-yours' as const };
      change(tx, sub);
      const still = findToken(tx, token, 'manage', now);
      const next = still ? token : mintToken(tx, { purpose: 'manage', email: sub.email, subscriptionId: null, now });
      return { status: 'ok' as const, value: { token: next } };
    },
    { behavior: 'immediate' },
  );
}

export function changeFrequency(db: Db, token: string, subscriptionId: number, frequency: Frequency, now = new Date()) {
  return onOwnSubscription(db, token, subscriptionId, now, (tx, sub) => {
    tx.update(subscriptions).set({ frequency }).where(eq(subscriptions.id, sub.id)).run();
  });
}

/** Unfollow one (from "Twoje subskrypcje"). */
export function unfollow(db: Db, token: string, subscriptionId: number, now = new Date()) {
  return onOwnSubscription(db, token, subscriptionId, now, (tx, sub) => endSubscription(tx, sub, 'link', now));
}

/**
 * Unfollow all and erase the address: every subscription ends (anonymous traces, how 'erase'), and the address
 * leaves the tokens, the queued subscriber mail and the sent and dead ones. With secure_delete on every
 * connection, emptying the write-ahead log afterwards leaves no copy of it in the database's files; `walEmptied`
 * is false when another connection's reader kept the log from being emptied (the caller tries again later).
 */
export function eraseAll(db: Db, token: string, now = new Date()) {
  const result = db.transaction(
    (tx) => {
      const found = lookup(tx, token, 'manage', now);
      if (found.status !== 'ok') return found;
      const email = found.row.email;
      for (const sub of subscriptionsOf(tx, email)) endSubscription(tx, sub, 'erase', now);
      eraseAddress(tx, email);
      return { status: 'ok' as const, value: null };
    },
    { behavior: 'immediate' },
  );
  if (result.status !== 'ok') return result;
  return { status: 'ok' as const, value: { walEmptied: truncateWal(db) } };
}

/** What a one-click link would end (for the page with the button); changes nothing. */
export function unsubscribeTarget(db: Db, token: string, now = new Date()) {
  const found = lookup(db, token, 'manage', now);
  if (found.status !== 'ok') return found;
  const sub = found.row.subscriptionId ? subscriptionById(db, found.row.subscriptionId) : undefined;
  if (!sub || sub.email !== found.row.email) return { status: 'unknown' as const };
  return { status: 'ok' as const, value: { scope: scopeInfo(db, { kind: sub.scopeKind, id: sub.scopeId }) } };
}

/** RFC 8058 one-click: ends at once the subscription the mail was sent for, with its queued mail. */
export function unsubscribeOneClick(db: Db, token: string, now = new Date()) {
  return db.transaction(
    (tx) => {
      const found = lookup(tx, token, 'manage', now);
      if (found.status !== 'ok') return found;
      const sub = found.row.subscriptionId ? subscriptionById(tx, found.row.subscriptionId) : undefined;
      if (!sub || sub.email !== found.row.email) return { status: 'unknown' as const };
      const scope = scopeInfo(tx, { kind: sub.scopeKind, id: sub.scopeId });
      endSubscription(tx, sub, 'one-click', now);
      return { status: 'ok' as const, value: { scope } };
    },
    { behavior: 'immediate' },
  );
}

/**
 * Deletes requests left unconfirmed for 7 days (an anonymous trace each, how 'expired') and tokens past their
 * lifetime, and forgets mailbox hashes older than the daily limit's day. Returns how many requests expired.
 */
export function purgeExpiredSubscriptions(db: Db, now = new Date()): number {
  return db.transaction(
    (tx) => {
      const expired = pendingRequestedBefore(tx, new Date(now.getTime() - PENDING_LIFETIME_MS));
      for (const sub of expired) endSubscription(tx, sub, 'expired', now);
      deleteExpiredTokens(tx, now);
      forgetMailboxHashes(tx, new Date(now.getTime() - DAY_MS));
      return expired.length;
    },
    { behavior: 'immediate' },
  );
}
