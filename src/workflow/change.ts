import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { proposals } from '../db/schema/index.js';
import type { EventType } from '../db/schema/workflow.js';
import { bumpDataVersion } from '../db/version.js';
import { insertEvent } from '../events/service.js';
import { enqueueForEvent } from '../notifications/fanout.js';
import { ConflictError, NotFoundError } from './errors.js';

export type Proposal = typeof proposals.$inferSelect;

/** An event the change emits; the write path adds the proposal, the actor and the time. */
export type EmittedEvent = {
  type: EventType;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  note?: string;
};
export type Emit = (event: EmittedEvent) => void;

export type ChangeContext = {
  proposalId: number;
  /**
   * The proposal version the form was loaded with (optimistic lock): checked and bumped. Undefined for changes
   * guarded by their own version (a unit's position) or that cannot conflict (an internal note).
   */
  version?: number;
  actorId: number | null;
  now?: Date;
};

export type ChangeTools = {
  tx: Tx;
  /** the proposal as it stood before the change (its version already bumped when one was given) */
  proposal: Proposal;
  emit: Emit;
  actorId: number | null;
  /** ISO time of the change, the same for every row it writes */
  at: string;
};

/**
 * The one write path for every change to a proposal. In one BEGIN IMMEDIATE transaction it loads (and, with a
 * version, locks) the proposal, runs the change, records the events it emitted, bumps the data version the page
 * caches key on, and writes the outbox rows for the mail those events cause. A throw anywhere rolls all of it back.
 */
export function changeProposal<T>(db: Db, ctx: ChangeContext, change: (tools: ChangeTools) => T): T {
  return db.transaction((tx) => changeProposalIn(tx, ctx, change), { behavior: 'immediate' });
}

/**
 * The same write path inside a transaction the caller opened (BEGIN IMMEDIATE, so the version check holds):
 * several changes that must stand or fall together, e.g. assigning many proposals at once. The caller owns the
 * rollback: a throw here leaves the transaction to the caller's handler.
 */
export function changeProposalIn<T>(tx: Tx, ctx: ChangeContext, change: (tools: ChangeTools) => T): T {
  const at = (ctx.now ?? new Date()).toISOString();
  const proposal =
    ctx.version === undefined
      ? tx.select().from(proposals).where(eq(proposals.id, ctx.proposalId)).get()
      : tx
          .update(proposals)
          .set({ version: sql`${proposals.version} + 1` })
          .where(and(eq(proposals.id, ctx.proposalId), eq(proposals.version, ctx.version)))
          .returning()
          .get();
  if (!proposal) {
    const exists = tx.select({ id: proposals.id }).from(proposals).where(eq(proposals.id, ctx.proposalId)).get();
    if (!exists) throw new NotFoundError('Nie ma takiej propozycji.');
    throw new ConflictError();
  }
  const emitted: EmittedEvent[] = [];
  const result = change({ tx, proposal, emit: (e) => emitted.push(e), actorId: ctx.actorId, at });
  if (emitted.length === 0) return result;
  for (const e of emitted) {
    const id = insertEvent(tx, { ...e, proposalId: proposal.id, actorId: ctx.actorId, at });
    enqueueForEvent(tx, { id, proposalId: proposal.id, type: e.type, after: e.after ?? null, at });
  }
  bumpDataVersion(tx);
  return result;
}
