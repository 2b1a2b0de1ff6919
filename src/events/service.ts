import type { DbOrTx } from '../db/client.js';
import { events, type EventType } from '../db/schema/index.js';

/** Which events the public timeline shows (and followers are mailed about). */
export const PUBLIC_TYPES: ReadonlySet<EventType> = new Set([
  'assignment.added',
  'assignment.removed',
  'assignment.changed',
  'status.changed',
  'decision.published',
  'position.published',
  'duplicate.marked',
  'duplicate.unmarked',
]);

export function isPublicEvent(type: EventType): boolean {
  return PUBLIC_TYPES.has(type);
}

export type NewEvent = {
  proposalId: number;
  type: EventType;
  actorId: number | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  note?: string;
  at: string;
};

/**
 * Inserts an event row. Only the write path (src/workflow/change.ts) calls this, inside the transaction of the
 * change it describes, so that the cache bump and the outbox always follow.
 */
export function insertEvent(tx: DbOrTx, e: NewEvent): number {
  return tx
    .insert(events)
    .values({
      proposalId: e.proposalId,
      type: e.type,
      public: PUBLIC_TYPES.has(e.type),
      actorId: e.actorId,
      before: e.before ?? null,
      after: e.after ?? null,
      note: e.note ?? '',
      createdAt: e.at,
    })
    .returning({ id: events.id })
    .get().id;
}
