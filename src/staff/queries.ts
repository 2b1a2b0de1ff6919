import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import {
  assignments,
  decisions,
  positions,
  positionVersions,
  proposals,
  units,
  userUnits,
  users,
  workshopTables,
} from '../db/schema/index.js';
import type { ProgressAssignment, ProgressProposal } from './progress.js';

/** Assignments of one proposal with the state of each unit's position. */
export function assignmentsWithPositions(db: DbOrTx, proposalId: number) {
  const rows = db
    .select({
      id: assignments.id,
      unitId: assignments.unitId,
      unitName: units.name,
      unitSlug: units.slug,
      lead: assignments.lead,
      dueDate: assignments.dueDate,
      positionId: positions.id,
      draftOutcome: positions.outcome,
      draftJustification: positions.justification,
      positionVersion: positions.version,
      submittedAt: positions.submittedAt,
      positionUpdatedAt: positions.updatedAt,
      draftBasisKind: positions.basisKind,
      draftBasisDate: positions.basisDate,
    })
    .from(assignments)
    .innerJoin(units, eq(units.id, assignments.unitId))
    .leftJoin(
      positions,
      and(eq(positions.proposalId, assignments.proposalId), eq(positions.unitId, assignments.unitId)),
    )
    .where(eq(assignments.proposalId, proposalId))
    .orderBy(desc(assignments.lead), asc(units.name))
    .all();
  const positionIds = rows.map((r) => r.positionId).filter((id): id is number => id !== null);
  const versions = positionIds.length
    ? db
        .select()
        .from(positionVersions)
        .where(inArray(positionVersions.positionId, positionIds))
        .orderBy(asc(positionVersions.number))
        .all()
    : [];
  return rows.map((r) => ({ ...r, versions: versions.filter((v) => v.positionId === r.positionId) }));
}

/** Admin/RDPP queue: what needs action. */
export function queue(db: DbOrTx, today: string) {
  const base = {
    id: proposals.id,
    lp: proposals.lp,
    title: proposals.title,
    status: proposals.status,
    tableNumber: workshopTables.number,
    consultationId: proposals.consultationId,
  };
  const newOnes = db
    .select(base)
    .from(proposals)
    .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
    .where(and(eq(proposals.status, 'nowa'), eq(proposals.inSource, true)))
    .orderBy(asc(proposals.consultationId), asc(proposals.lp))
    .all();
  const overdue = db
    .select({ ...base, unitName: units.name, dueDate: assignments.dueDate })
    .from(assignments)
    .innerJoin(proposals, eq(proposals.id, assignments.proposalId))
    .innerJoin(units, eq(units.id, assignments.unitId))
    .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
    .leftJoin(
      positions,
      and(eq(positions.proposalId, assignments.proposalId), eq(positions.unitId, assignments.unitId)),
    )
    .where(
      and(lt(assignments.dueDate, today), eq(proposals.status, 'przekazana'), sql`${positions.submittedAt} IS NULL`),
    )
    .orderBy(asc(assignments.dueDate), asc(proposals.lp))
    .all();
  const collected = db
    .select(base)
    .from(proposals)
    .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
    .where(eq(proposals.status, 'stanowiska-zebrane'))
    .orderBy(asc(proposals.lp))
    .all();
  const waiting = db
    .select({ ...base, dueDate: sql<string>`min(${assignments.dueDate})` })
    .from(proposals)
    .innerJoin(assignments, eq(assignments.proposalId, proposals.id))
    .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
    .where(eq(proposals.status, 'przekazana'))
    .groupBy(proposals.id)
    .orderBy(asc(proposals.lp))
    .all();
  return { newOnes, overdue, collected, waiting };
}

/** Proposals assigned to any of a user's units, with that unit's position state. */
export function proposalsForUnits(db: DbOrTx, unitIds: number[]) {
  if (!unitIds.length) return [];
  return db
    .select({
      id: proposals.id,
      lp: proposals.lp,
      title: proposals.title,
      status: proposals.status,
      unitId: units.id,
      unitName: units.name,
      dueDate: assignments.dueDate,
      lead: assignments.lead,
      submittedAt: positions.submittedAt,
      hasDraft: isNotNull(positions.id),
    })
    .from(assignments)
    .innerJoin(proposals, eq(proposals.id, assignments.proposalId))
    .innerJoin(units, eq(units.id, assignments.unitId))
    .leftJoin(
      positions,
      and(eq(positions.proposalId, assignments.proposalId), eq(positions.unitId, assignments.unitId)),
    )
    .where(inArray(assignments.unitId, unitIds))
    .all();
}

export function assignedUnitIds(db: DbOrTx, proposalId: number): number[] {
  return db
    .select({ unitId: assignments.unitId })
    .from(assignments)
    .where(eq(assignments.proposalId, proposalId))
    .all()
    .map((a) => a.unitId);
}

/**
 * Units someone can answer for: linked (user_units) to an active account with the role 'unit'. A unit not in
 * this set waits for nobody unless the office writes its position.
 */
export function unitIdsWithActiveAccount(db: DbOrTx): Set<number> {
  return new Set(
    db
      .selectDistinct({ unitId: userUnits.unitId })
      .from(userUnits)
      .innerJoin(users, eq(users.id, userUnits.userId))
      .where(and(eq(users.role, 'unit'), eq(users.active, true)))
      .all()
      .map((r) => r.unitId),
  );
}

/** The proposal a duplicate points to. */
export function duplicateOriginal(db: DbOrTx, duplicateOfId: number | null) {
  if (!duplicateOfId) return undefined;
  return db
    .select({ id: proposals.id, lp: proposals.lp, title: proposals.title })
    .from(proposals)
    .where(eq(proposals.id, duplicateOfId))
    .get();
}

/** A consultation's proposals (in the source) with the outcome of their current decision, in LP order. */
export function progressProposals(db: DbOrTx, consultationId: number): ProgressProposal[] {
  return db
    .select({
      id: proposals.id,
      lp: proposals.lp,
      title: proposals.title,
      status: proposals.status,
      tableNumber: workshopTables.number,
      outcome: decisions.outcome,
    })
    .from(proposals)
    .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
    .leftJoin(decisions, and(eq(decisions.proposalId, proposals.id), isNull(decisions.retractedAt)))
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
