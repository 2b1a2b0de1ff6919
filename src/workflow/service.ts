import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { assignments, positions, positionVersions, proposals } from '../db/schema/index.js';
import type { ProposalStatus } from '../db/schema/proposals.js';
import { recordEvent } from '../events/service.js';
import { STATUS_LABELS } from '../proposals/status.js';
import { assertTransition, collectingStatus, WorkflowError } from './workflow.js';
import { ConflictError, RuleError } from './errors.js';

export type Acting = { actorId: number; at: string };

/**
 * Optimistic lock: bumps the proposal's version only if it is still the one the form was
 * loaded with; otherwise nothing is written and the caller's transaction rolls back.
 */
export function lockProposal(tx: DbOrTx, proposalId: number, expectedVersion: number) {
  const row = tx.update(proposals)
    .set({ version: sql`${proposals.version} + 1` })
    .where(and(eq(proposals.id, proposalId), eq(proposals.version, expectedVersion)))
    .returning().get();
  if (!row) {
    const exists = tx.select({ id: proposals.id }).from(proposals).where(eq(proposals.id, proposalId)).get();
    if (!exists) throw new RuleError('form', 'Nie ma takiej propozycji.');
    throw new ConflictError();
  }
  return row;
}

/** Moves a proposal to a status the workflow allows, recording a public event. */
export function changeStatus(tx: DbOrTx, proposal: { id: number; status: ProposalStatus }, to: ProposalStatus, acting: Acting, note = '') {
  try {
    assertTransition(proposal.status, to, STATUS_LABELS);
  } catch (err) {
    if (err instanceof WorkflowError) throw new RuleError('form', err.message);
    throw err;
  }
  tx.update(proposals).set({ status: to, updatedAt: acting.at }).where(eq(proposals.id, proposal.id)).run();
  recordEvent(tx, { proposalId: proposal.id, type: 'status.changed', actorId: acting.actorId, before: { status: proposal.status }, after: { status: to }, note, at: acting.at });
}

/** How many units are assigned and how many of them have submitted a position. */
export function positionCounts(tx: DbOrTx, proposalId: number) {
  const assigned = tx.select({ unitId: assignments.unitId }).from(assignments).where(eq(assignments.proposalId, proposalId)).all().map((a) => a.unitId);
  if (assigned.length === 0) return { assigned: 0, submitted: 0 };
  const submitted = tx.selectDistinct({ unitId: positions.unitId }).from(positions)
    .innerJoin(positionVersions, eq(positionVersions.positionId, positions.id))
    .where(and(eq(positions.proposalId, proposalId), inArray(positions.unitId, assigned), isNotNull(positions.submittedAt))).all().length;
  return { assigned: assigned.length, submitted };
}

/** While positions are being collected, the status follows the assignments and positions. */
export function syncCollectingStatus(tx: DbOrTx, proposalId: number, acting: Acting) {
  const p = tx.select({ id: proposals.id, status: proposals.status }).from(proposals).where(eq(proposals.id, proposalId)).get()!;
  if (!['nowa', 'przekazana', 'stanowiska-zebrane'].includes(p.status)) return;
  const c = positionCounts(tx, proposalId);
  const target = collectingStatus(c.assigned, c.submitted);
  if (target !== p.status) changeStatus(tx, p, target, acting);
}
