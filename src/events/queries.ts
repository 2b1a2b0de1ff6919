import { and, asc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { events, users } from '../db/schema/index.js';

export function listEvents(db: DbOrTx, proposalId: number, opts: { publicOnly: boolean }) {
  return db
    .select({
      id: events.id,
      type: events.type,
      public: events.public,
      before: events.before,
      after: events.after,
      note: events.note,
      createdAt: events.createdAt,
      actorEmail: users.email,
      actorName: users.name,
    })
    .from(events)
    .leftJoin(users, eq(users.id, events.actorId))
    .where(
      opts.publicOnly
        ? and(eq(events.proposalId, proposalId), eq(events.public, true))
        : eq(events.proposalId, proposalId),
    )
    .orderBy(asc(events.id))
    .all();
}

/** Public events of many proposals (for the open-data export), grouped by proposal. */
export function publicEventsFor(db: DbOrTx, proposalIds: number[]) {
  const out = new Map<number, { type: string; before: unknown; after: unknown; note: string; createdAt: string }[]>();
  for (let i = 0; i < proposalIds.length; i += 900) {
    const rows = db
      .select({
        proposalId: events.proposalId,
        type: events.type,
        before: events.before,
        after: events.after,
        note: events.note,
        createdAt: events.createdAt,
      })
      .from(events)
      .where(and(inArray(events.proposalId, proposalIds.slice(i, i + 900)), eq(events.public, true)))
      .orderBy(asc(events.id))
      .all();
    for (const { proposalId, ...e } of rows) {
      const list = out.get(proposalId) ?? [];
      list.push(e);
      out.set(proposalId, list);
    }
  }
  return out;
}
