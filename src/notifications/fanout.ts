import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import type { EventType } from '../db/schema/workflow.js';
import { isPublicEvent } from '../events/service.js';
import { proposalsOfUnit } from '../proposals/queries.js';
import { nextDigestTime } from '../lib/dates.js';

export type EnqueuedEvent = {
  id: number;
  proposalId: number;
  type: EventType;
  after: Record<string, unknown> | null;
  /** ISO time of the event */
  at: string;
};

/** The local part of a Message-ID, random and fixed per outbox row (the worker adds the domain). */
export const MESSAGE_ID = sql.raw(`lower(hex(randomblob(12)))`);

/**
 * Writes the outbox rows an event causes, inside the event's own transaction: one row per (event, recipient),
 * unique by dedup key, so nothing is enqueued twice. Staff rows are written first: an address that is both staff
 * and a follower gets the staff mail for that event.
 *
 * - assignment.added: the unit's contact address and its active staff accounts (kind staff-assigned);
 * - status.changed to "stanowiska zebrane": every active admin (kind staff-positions-complete);
 * - every public event: the confirmed followers of the proposal, its workshop table, its units (named in the
 *   source or assigned) or its consultation; an address following several of these gets one row, for its most
 *   specific subscription (a unit's proposals as proposalsOfUnit defines them for the unit page, the filter and the
 *   export), sent at once (coalesced by the worker) or in the next daily digest.
 */
export function enqueueForEvent(tx: DbOrTx, e: EnqueuedEvent): void {
  const insertStaff = (kind: string, recipients: string[]) => {
    for (const email of new Set(recipients.map((r) => r.trim().toLowerCase()).filter(Boolean))) {
      tx.run(sql`INSERT INTO outbox (dedup_key, kind, recipient, proposal_id, event_id, payload, available_at,
          message_id, created_at)
        VALUES (${`event:${e.id}:${email}`}, ${kind}, ${email}, ${e.proposalId}, ${e.id}, '{}', ${e.at},
          ${MESSAGE_ID}, ${e.at})
        ON CONFLICT (dedup_key) DO NOTHING`);
    }
  };

  if (e.type === 'assignment.added' && typeof e.after?.unitId === 'number') {
    const unitId = e.after.unitId;
    const contact = tx.all<{ email: string }>(sql`SELECT email FROM units WHERE id = ${unitId} AND email <> ''`);
    const staff = tx.all<{ email: string }>(sql`SELECT u.email FROM users u JOIN user_units uu ON uu.user_id = u.id
      WHERE uu.unit_id = ${unitId} AND u.active = 1 AND u.role = 'unit'`);
    insertStaff(
      'staff-assigned',
      [...contact, ...staff].map((r) => r.email),
    );
  }
  if (e.type === 'status.changed' && e.after?.status === 'stanowiska-zebrane') {
    const admins = tx.all<{ email: string }>(sql`SELECT email FROM users WHERE role = 'admin' AND active = 1`);
    insertStaff(
      'staff-positions-complete',
      admins.map((r) => r.email),
    );
  }
  if (!isPublicEvent(e.type)) return;

  const digestAt = nextDigestTime(new Date(e.at));
  // the most specific confirmed subscription per address: proposal (1) > table (2) > unit (3) > consultation (4)
  tx.run(sql`
    INSERT INTO outbox (dedup_key, kind, recipient, subscription_id, proposal_id, event_id, payload, available_at,
      message_id, created_at)
    SELECT ${`event:${e.id}:`} || s.email,
      CASE s.frequency WHEN 'daily' THEN 'digest' ELSE 'subscriber' END,
      s.email, s.id, ${e.proposalId}, ${e.id}, '{}',
      CASE s.frequency WHEN 'daily' THEN ${digestAt} ELSE ${e.at} END,
      ${MESSAGE_ID}, ${e.at}
    FROM (
      SELECT sub.*, ROW_NUMBER() OVER (PARTITION BY sub.email ORDER BY CASE sub.scope_kind
          WHEN 'proposal' THEN 1 WHEN 'table' THEN 2 WHEN 'unit' THEN 3 ELSE 4 END, sub.id) AS rank
      FROM subscriptions sub, proposals p
      WHERE p.id = ${e.proposalId} AND sub.state = 'confirmed' AND (
        (sub.scope_kind = 'proposal' AND sub.scope_id = p.id)
        OR (sub.scope_kind = 'table' AND sub.scope_id = p.workshop_table_id)
        OR (sub.scope_kind = 'consultation' AND sub.scope_id = p.consultation_id)
        OR (sub.scope_kind = 'unit' AND p.id IN ${proposalsOfUnit(sql.raw('sub.scope_id'))})
      )
    ) s
    WHERE s.rank = 1
    ON CONFLICT (dedup_key) DO NOTHING`);
}
