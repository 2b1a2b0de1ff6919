import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { DbOrTx } from '../db/client.js';
import {
  assignments,
  decisions,
  positions,
  positionVersions,
  proposals,
  units,
  workshopTables,
} from '../db/schema/index.js';
import type { ProgressAssignment, ProgressProposal } from './figures.js';

/**
 * A consultation's proposals (in the source) with the outcome of their current decision and, for a duplicate, the
 * status of the proposal it repeats, in LP order.
 */
export function progressProposals(db: DbOrTx, consultationId: number): ProgressProposal[] {
  const original = alias(proposals, 'original');
  return db
    .select({
      id: proposals.id,
      lp: proposals.lp,
      title: proposals.title,
      status: proposals.status,
      tableNumber: workshopTables.number,
      outcome: decisions.outcome,
      originalStatus: original.status,
    })
    .from(proposals)
    .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
    .leftJoin(decisions, and(eq(decisions.proposalId, proposals.id), isNull(decisions.retractedAt)))
    .leftJoin(original, eq(original.id, proposals.duplicateOfId))
    .where(and(eq(proposals.consultationId, consultationId), eq(proposals.inSource, true)))
    .orderBy(asc(proposals.lp))
    .all();
}

/** Every assignment in a consultation with its unit, the proposal's status and the position's submissions. */
export function progressAssignments(db: DbOrTx, consultationId: number): ProgressAssignment[] {
  const first = db
    .select({
      positionId: positionVersions.positionId,
      at: sql<string>`min(${positionVersions.submittedAt})`.as('first_submitted_at'),
    })
    .from(positionVersions)
    .groupBy(positionVersions.positionId)
    .as('first_submission');
  return db
    .select({
      proposalId: assignments.proposalId,
      status: proposals.status,
      unitId: units.id,
      unitName: units.name,
      unitSlug: units.slug,
      lead: assignments.lead,
      dueDate: assignments.dueDate,
      assignedAt: assignments.createdAt,
      submittedAt: positions.submittedAt,
      firstSubmittedAt: first.at,
    })
    .from(assignments)
    .innerJoin(proposals, eq(proposals.id, assignments.proposalId))
    .innerJoin(units, eq(units.id, assignments.unitId))
    .leftJoin(
      positions,
      and(eq(positions.proposalId, assignments.proposalId), eq(positions.unitId, assignments.unitId)),
    )
    .leftJoin(first, eq(first.positionId, positions.id))
    .where(and(eq(proposals.consultationId, consultationId), eq(proposals.inSource, true)))
    .orderBy(desc(assignments.lead), asc(units.name))
    .all();
}
