import { and, asc, count, desc, eq, gt, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import {
  consultations,
  outbox,
  proposals,
  subscriberTokens,
  subscriptions,
  subscriptionWithdrawals,
  units,
  workshopTables,
} from '../db/schema/index.js';
import type { ScopeKind } from '../db/schema/notifications.js';
import { FORGET_RECIPIENT } from '../notifications/queries.js';
import { mailboxHash } from './mailbox.js';

export type Scope = { kind: ScopeKind; id: number };
export type ScopeInfo = Scope & {
  /** what is followed, e.g. "Propozycja LP 7: …", "Stolik 3: …", "Wydział Kultury" */
  label: string;
  /** the public page of the scope */
  href: string;
  /** where the scope belongs (the consultation's title), '' for a unit */
  context: string;
};

const TITLE_MAX = 90;
function shorten(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > TITLE_MAX ? `${t.slice(0, TITLE_MAX - 1).trimEnd()}…` : t;
}

/** The scope's label and page, or undefined when it does not exist. */
export function scopeInfo(db: DbOrTx, scope: Scope): ScopeInfo | undefined {
  switch (scope.kind) {
    case 'proposal': {
      const p = db
        .select({
          lp: proposals.lp,
          title: proposals.title,
          inSource: proposals.inSource,
          context: consultations.title,
        })
        .from(proposals)
        .innerJoin(consultations, eq(consultations.id, proposals.consultationId))
        .where(eq(proposals.id, scope.id))
        .get();
      if (!p) return undefined;
      const title = p.inSource && p.title ? `: ${shorten(p.title)}` : '';
      return { ...scope, label: `Propozycja LP ${p.lp}${title}`, href: `/proposals/${scope.id}`, context: p.context };
    }
    case 'table': {
      const t = db
        .select({
          number: workshopTables.number,
          theme: workshopTables.theme,
          slug: consultations.slug,
          context: consultations.title,
        })
        .from(workshopTables)
        .innerJoin(consultations, eq(consultations.id, workshopTables.consultationId))
        .where(eq(workshopTables.id, scope.id))
        .get();
      if (!t) return undefined;
      const theme = t.theme ? `: ${shorten(t.theme)}` : '';
      const href = `/?consultation=${t.slug}&table=${t.number}`;
      return { ...scope, label: `Stolik ${t.number}${theme}`, href, context: t.context };
    }
    case 'unit': {
      const u = db.select({ name: units.name, slug: units.slug }).from(units).where(eq(units.id, scope.id)).get();
      if (!u) return undefined;
      return { ...scope, label: u.name, href: `/units/${u.slug}`, context: '' };
    }
    case 'consultation': {
      const c = db
        .select({ slug: consultations.slug, title: consultations.title })
        .from(consultations)
        .where(eq(consultations.id, scope.id))
        .get();
      if (!c) return undefined;
      const label = `Wszystkie propozycje konsultacji „${c.title}”`;
      return { ...scope, label, href: `/?consultation=${c.slug}`, context: c.title };
    }
  }
}

export function findSubscription(db: DbOrTx, email: string, scope: Scope) {
  return db
    .select()
    .from(subscriptions)
    .where(
      and(eq(subscriptions.email, email), eq(subscriptions.scopeKind, scope.kind), eq(subscriptions.scopeId, scope.id)),
    )
    .get();
}

export function subscriptionById(db: DbOrTx, id: number) {
  return db.select().from(subscriptions).where(eq(subscriptions.id, id)).get();
}

export function subscriptionsOf(db: DbOrTx, email: string) {
  return db.select().from(subscriptions).where(eq(subscriptions.email, email)).orderBy(asc(subscriptions.id)).all();
}

/**
 * How many confirmation mails were queued for this mailbox since `since` (the daily limit): every address that
 * delivers to it counts, `+tag`s and letter case whatever they are, erased addresses included.
 */
export function confirmationsSince(db: DbOrTx, email: string, since: Date): number {
  return (
    db
      .select({ n: count() })
      .from(outbox)
      .where(
        and(
          eq(outbox.mailboxHash, mailboxHash(email)),
          eq(outbox.kind, 'confirmation'),
          gt(outbox.createdAt, since.toISOString()),
        ),
      )
      .get()?.n ?? 0
  );
}

/** The newest confirmation row of a subscription and how many there were (the next dedup number). */
export function lastConfirmation(db: DbOrTx, subscriptionId: number) {
  const rows = db
    .select({ createdAt: outbox.createdAt, dedupKey: outbox.dedupKey })
    .from(outbox)
    .where(and(eq(outbox.subscriptionId, subscriptionId), eq(outbox.kind, 'confirmation')))
    .orderBy(desc(outbox.createdAt), desc(outbox.id))
    .all();
  const numbers = rows.map((r) => Number(/^confirm:\d+:(\d+)$/.exec(r.dedupKey)?.[1] ?? 0));
  return { createdAt: rows[0]?.createdAt, count: Math.max(0, ...numbers) };
}

/** The local part of a Message-ID, random and fixed per outbox row (the worker adds the domain). */
const MESSAGE_ID = sql.raw(`lower(hex(randomblob(12)))`);

/** Queues the double opt-in mail; the worker mints the confirm and manage tokens when it sends it. */
export function insertConfirmation(tx: DbOrTx, sub: { id: number; email: string }, n: number, now: Date): void {
  const at = now.toISOString();
  tx.run(sql`INSERT INTO outbox (dedup_key, kind, recipient, subscription_id, payload, available_at, message_id,
      mailbox_hash, created_at)
    VALUES (${`confirm:${sub.id}:${n}`}, 'confirmation', ${sub.email}, ${sub.id}, '{}', ${at}, ${MESSAGE_ID},
      ${mailboxHash(sub.email)}, ${at})`);
}

/** Ends a subscription: an anonymous trace, its queued mails and the row (its tokens go with it). */
export function endSubscription(tx: DbOrTx, sub: typeof subscriptions.$inferSelect, how: string, now: Date): void {
  tx.insert(subscriptionWithdrawals)
    .values({
      scopeKind: sub.scopeKind,
      scopeId: sub.scopeId,
      clauseVersion: sub.clauseVersion,
      requestedAt: sub.requestedAt,
      confirmedAt: sub.confirmedAt,
      withdrawnAt: now.toISOString(),
      how,
    })
    .run();
  tx.delete(outbox)
    .where(and(eq(outbox.subscriptionId, sub.id), eq(outbox.state, 'queued')))
    .run();
  tx.delete(subscriptions).where(eq(subscriptions.id, sub.id)).run();
}

/** Pending subscriptions requested at or before `before` (they expire unconfirmed). */
export function pendingRequestedBefore(db: DbOrTx, before: Date) {
  return db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.state, 'pending'), lte(subscriptions.requestedAt, before.toISOString())))
    .all();
}

/** Forgets the mailbox hashes of confirmation rows queued at or before `before` (the daily limit no longer needs them). */
export function forgetMailboxHashes(tx: DbOrTx, before: Date): void {
  tx.update(outbox)
    .set({ mailboxHash: null })
    .where(and(isNotNull(outbox.mailboxHash), lte(outbox.createdAt, before.toISOString())))
    .run();
}

export function deleteExpiredTokens(tx: DbOrTx, now: Date): void {
  tx.delete(subscriberTokens).where(lte(subscriberTokens.expiresAt, now.toISOString())).run();
}

/** Mail kinds sent because of a subscription (not staff mail, which is not based on consent). */
export const SUBSCRIBER_MAIL_KINDS = ['confirmation', 'subscriber', 'digest'] as const;

/**
 * Erases an address (its subscriptions are ended one by one first): its tokens and queued subscriber mail go, and
 * its sent and dead subscriber mail keep no trace of it (FORGET_RECIPIENT). Confirmation rows keep their mailbox
 * hash until the purge, so erasing does not reset the daily limit. Staff mail is not based on consent and stays.
 */
export function eraseAddress(tx: DbOrTx, email: string): void {
  tx.delete(subscriberTokens).where(eq(subscriberTokens.email, email)).run();
  const subscriberMail = inArray(outbox.kind, [...SUBSCRIBER_MAIL_KINDS]);
  tx.delete(outbox)
    .where(and(eq(outbox.recipient, email), eq(outbox.state, 'queued'), subscriberMail))
    .run();
  tx.run(sql`UPDATE outbox SET ${FORGET_RECIPIENT}
    WHERE recipient = ${email} AND state IN ('sent', 'dead') AND ${subscriberMail}`);
}
