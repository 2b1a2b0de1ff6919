import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import type { OutboxKind, OutboxState, ScopeKind } from '../db/schema/notifications.js';
import type { Role } from '../db/schema/accounts.js';

/** An outbox row as the worker and the "Poczta" page read it. */
export type OutboxRow = {
  id: number;
  kind: OutboxKind;
  recipient: string;
  subscriptionId: number | null;
  proposalId: number | null;
  eventId: number | null;
  payload: Record<string, unknown>;
  state: OutboxState;
  attempts: number;
  availableAt: string;
  lastError: string | null;
  messageId: string;
  sentInId: number | null;
  subject: string | null;
  createdAt: string;
  sentAt: string | null;
};

const ROW_COLUMNS = sql.raw(`id, kind, recipient, subscription_id AS subscriptionId, proposal_id AS proposalId,
  event_id AS eventId, payload, state, attempts, available_at AS availableAt, last_error AS lastError,
  message_id AS messageId, sent_in_id AS sentInId, subject, created_at AS createdAt, sent_at AS sentAt`);

/**
 * The SET clause that makes a mail row forget its recipient (retention, erasure): no address, no SMTP error text
 * (which may quote it), and a dedup key without it – kept unique by the row's id. SQLite evaluates every
 * expression against the row before the update, so `replace` still sees the address.
 */
export const FORGET_RECIPIENT = sql.raw(
  `recipient = '', last_error = NULL, dedup_key = replace(dedup_key, recipient, '#' || id)`,
);

type RawRow = Omit<OutboxRow, 'payload'> & { payload: string };
const parseRow = (r: RawRow): OutboxRow => ({
  ...r,
  payload: JSON.parse(r.payload || '{}') as Record<string, unknown>,
});

export function outboxRowsByIds(db: DbOrTx, ids: number[]): OutboxRow[] {
  if (!ids.length) return [];
  const list = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  return db.all<RawRow>(sql`SELECT ${ROW_COLUMNS} FROM outbox WHERE id IN (${list}) ORDER BY id`).map(parseRow);
}

export function outboxRow(db: DbOrTx, id: number): OutboxRow | undefined {
  return outboxRowsByIds(db, [id])[0];
}

/** The rows sent together with this one (itself included), or the rows it would go with now. */
export function rowsSentWith(db: DbOrTx, row: OutboxRow): OutboxRow[] {
  if (row.sentInId === null) return [row];
  return db
    .all<RawRow>(sql`SELECT ${ROW_COLUMNS} FROM outbox WHERE sent_in_id = ${row.sentInId} ORDER BY id`)
    .map(parseRow);
}

export type MailEvent = {
  id: number;
  proposalId: number;
  type: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  note: string;
  createdAt: string;
};

/** Public events only: whatever a row points at, an internal note or a draft never reaches a mail. */
export function publicEventsByIds(db: DbOrTx, ids: number[]): MailEvent[] {
  if (!ids.length) return [];
  const list = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  return db
    .all<MailEvent & { before: string | null; after: string | null }>(sql`
    SELECT id, proposal_id AS proposalId, type, before, after, note, created_at AS createdAt
    FROM events WHERE id IN (${list}) AND public = 1 ORDER BY id`)
    .map((e) => ({
      ...e,
      before: e.before ? (JSON.parse(e.before) as Record<string, unknown>) : null,
      after: e.after ? (JSON.parse(e.after) as Record<string, unknown>) : null,
    }));
}

export type ProposalHead = { id: number; lp: number; title: string; consultationSlug: string };

export function proposalHeads(db: DbOrTx, ids: number[]): Map<number, ProposalHead> {
  const out = new Map<number, ProposalHead>();
  if (!ids.length) return out;
  const list = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  for (const p of db.all<ProposalHead>(sql`SELECT p.id, p.lp, p.title, c.slug AS consultationSlug
      FROM proposals p JOIN consultations c ON c.id = p.consultation_id WHERE p.id IN (${list})`)) {
    out.set(p.id, p);
  }
  return out;
}

export type SubscriptionRef = {
  id: number;
  email: string;
  scopeKind: ScopeKind;
  scopeId: number;
  frequency: string;
  state: string;
};

export function subscriptionsByIds(db: DbOrTx, ids: number[]): Map<number, SubscriptionRef> {
  const out = new Map<number, SubscriptionRef>();
  if (!ids.length) return out;
  const list = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  for (const s of db.all<SubscriptionRef>(sql`SELECT id, email, scope_kind AS scopeKind, scope_id AS scopeId,
      frequency, state FROM subscriptions WHERE id IN (${list})`)) {
    out.set(s.id, s);
  }
  return out;
}

/** What a subscription follows, in the accusative ("obserwujesz …"). */
export function scopeLabel(db: DbOrTx, kind: ScopeKind, id: number): string {
  switch (kind) {
    case 'proposal': {
      const p = db.get<{ lp: number; title: string }>(sql`SELECT lp, title FROM proposals WHERE id = ${id}`);
      return p ? `propozycję LP ${p.lp}: „${p.title}”` : 'propozycję, której już nie ma';
    }
    case 'table': {
      const t = db.get<{ number: number; theme: string }>(sql`SELECT number, theme FROM workshop_tables
        WHERE id = ${id}`);
      if (!t) return 'stolik, którego już nie ma';
      return `propozycje ze stolika ${t.number}${t.theme ? ` („${t.theme}”)` : ''}`;
    }
    case 'unit': {
      const u = db.get<{ name: string }>(sql`SELECT name FROM units WHERE id = ${id}`);
      return u ? `propozycje kierowane do jednostki: ${u.name}` : 'jednostkę, której już nie ma';
    }
    case 'consultation': {
      const c = db.get<{ title: string }>(sql`SELECT title FROM consultations WHERE id = ${id}`);
      return c ? `wszystkie propozycje z konsultacji „${c.title}”` : 'konsultacje, których już nie ma';
    }
  }
}

/** What an account mail says about the account: its address, name, role and units (by name). */
export function accountForMail(db: DbOrTx, userId: number) {
  const account = db.get<{ email: string; name: string; role: Role }>(
    sql`SELECT email, name, role FROM users WHERE id = ${userId}`,
  );
  if (!account) return undefined;
  const units = db
    .all<{ name: string }>(sql`SELECT un.name FROM user_units uu JOIN units un ON un.id = uu.unit_id
      WHERE uu.user_id = ${userId} ORDER BY un.name`)
    .map((u) => u.name);
  return { ...account, units };
}

// ---- "Poczta" ------------------------------------------------------------------------------------

export type MailCounts = { queued: number; retrying: number; sent: number; dead: number };

export function mailCounts(db: DbOrTx): MailCounts {
  const r = db.get<MailCounts>(sql`SELECT
      coalesce(sum(state = 'queued'), 0) AS queued,
      coalesce(sum(state = 'queued' AND attempts > 0), 0) AS retrying,
      coalesce(sum(state = 'sent'), 0) AS sent,
      coalesce(sum(state = 'dead'), 0) AS dead
    FROM outbox`);
  return r ?? { queued: 0, retrying: 0, sent: 0, dead: 0 };
}

/** The latest mails: one line per mail sent (rows coalesced into it counted), and every row not sent yet. */
export function latestMails(db: DbOrTx, state: OutboxState | undefined, limit = 50) {
  const where = state ? sql`WHERE state = ${state}` : sql``;
  return db
    .all<RawRow & { merged: number }>(sql`
    SELECT ${ROW_COLUMNS}, (SELECT count(*) FROM outbox o2 WHERE o2.sent_in_id = outbox.id) AS merged
    FROM outbox ${where}
    ${state ? sql`AND` : sql`WHERE`} (sent_in_id IS NULL OR sent_in_id = id)
    ORDER BY id DESC LIMIT ${limit}`)
    .map((r) => ({ ...parseRow(r), merged: r.merged }));
}

export function subscriptionCountsByScope(db: DbOrTx) {
  return db.all<{ scopeKind: ScopeKind; scopeId: number; confirmed: number; pending: number; daily: number }>(sql`
    SELECT scope_kind AS scopeKind, scope_id AS scopeId,
      sum(state = 'confirmed') AS confirmed, sum(state = 'pending') AS pending,
      sum(state = 'confirmed' AND frequency = 'daily') AS daily
    FROM subscriptions GROUP BY scope_kind, scope_id
    ORDER BY CASE scope_kind WHEN 'consultation' THEN 1 WHEN 'table' THEN 2 WHEN 'unit' THEN 3 ELSE 4 END, scope_id`);
}

/**
 * A dead row goes back to the queue with a fresh count of attempts ("Wyślij ponownie"), together with the dead rows
 * it would have gone out with as one mail (same kind and recipient, and same proposal unless a digest).
 */
export function requeueDead(db: DbOrTx, id: number, now: Date): boolean {
  const res = db.run(sql`UPDATE outbox SET state = 'queued', attempts = 0, available_at = ${now.toISOString()},
      locked_until = NULL, last_error = NULL
    WHERE state = 'dead' AND recipient <> '' AND id IN (
      SELECT o.id FROM outbox d JOIN outbox o ON o.id = d.id OR (
        d.kind IN ('subscriber', 'digest', 'staff-assigned') AND o.kind = d.kind AND o.recipient = d.recipient
        AND (d.kind = 'digest' OR o.proposal_id IS d.proposal_id))
      WHERE d.id = ${id} AND d.state = 'dead')`);
  return (res as unknown as { changes: number }).changes > 0;
}
