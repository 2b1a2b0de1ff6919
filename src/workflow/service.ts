import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { assignments, positions, positionVersions, proposals } from '../db/schema/index.js';
import type { ProposalStatus } from '../db/schema/proposals.js';
import { STATUS_LABELS } from '../proposals/status.js';
import type { Emit } from './change.js';
import { assertTransition, collectingStatus, isInProgress, WorkflowError } from './workflow.js';
import { RuleError } from './errors.js';

/** Moves a proposal to a status the workflow allows, emitting a public event. */
export function changeStatus(
  tx: DbOrTx,
  emit: Emit,
  proposal: { id: number; status: ProposalStatus },
  to: ProposalStatus,
  at: string,
  note = '',
) {
  try {
    assertTransition(proposal.status, to, STATUS_LABELS);
  } catch (err) {
    if (err instanceof WorkflowError) throw new RuleError('form', err.message);
    throw err;
  }
  tx.update(proposals).set({ status: to, updatedAt: at }).where(eq(proposals.id, proposal.id)).run();
  emit({ type: 'status.changed', before: { status: proposal.status }, after: { status: to }, note });
}

/** How many units are assigned and how many of them have submitted a position. */
export function positionCounts(tx: DbOrTx, proposalId: number) {
  const assigned = tx
    .select({ unitId: assignments.unitId })
    .from(assignments)
    .where(eq(assignments.proposalId, proposalId))
    .all()
    .map((a) => a.unitId);
  if (assigned.length === 0) return { assigned: 0, submitted: 0 };
  const submitted = tx
    .selectDistinct({ unitId: positions.unitId })
    .from(positions)
    .innerJoin(positionVersions, eq(positionVersions.positionId, positions.id))
    .where(
      and(eq(positions.proposalId, proposalId), inArray(positions.unitId, assigned), isNotNull(positions.submittedAt)),
    )
    .all().length;
  return { assigned: assigned.length, submitted };
}

/** While positions are being collected, the status follows the assignments and positions. */
export function syncCollectingStatus(tx: DbOrTx, emit: Emit, proposalId: number, at: string) {
  const p = tx
    .select({ id: proposals.id, status: proposals.status })
    .from(proposals)
    .where(eq(proposals.id, proposalId))
    .get()!;
  if (p.status !== 'nowa' && !isInProgress(p.status)) return;
  const c = positionCounts(tx, proposalId);
  const target = collectingStatus(c.assigned, c.submitted);
  if (target !== p.status) changeStatus(tx, emit, p, target, at);
}
