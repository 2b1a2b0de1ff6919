import type { DbOrTx } from '../db/client.js';
import { events, type EventType } from '../db/schema/index.js';

/** Which events the public timeline shows. */
const PUBLIC_TYPES: ReadonlySet<EventType> = new Set([
  'status.changed', 'decision.published', 'position.published', 'duplicate.marked', 'duplicate.unmarked',
]);

export type NewEvent = {
  proposalId: number;
  type: EventType;
  actorId: number | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  note?: string;
  at: string;
};

/** Records an event; call it inside the transaction of the change it describes. */
export function recordEvent(tx: DbOrTx, e: NewEvent): void {
  tx.insert(events).values({
    proposalId: e.proposalId,
    type: e.type,
    public: PUBLIC_TYPES.has(e.type),
    actorId: e.actorId,
    before: e.before ?? null,
    after: e.after ?? null,
    note: e.note ?? '',
    createdAt: e.at,
  }).run();
}
