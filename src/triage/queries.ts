import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import {
  assignments,
  consultations,
  positions,
  positionVersions,
  proposals,
  units,
  userUnits,
  users,
  workshopTables,
} from '../db/schema/index.js';

/** The proposals chosen for bulk triage, in the queue's order (consultation, then LP). */
export function proposalsForTriage(db: DbOrTx, ids: number[]) {
  if (!ids.length) return [];
  return db
    .select({
      id: proposals.id,
      lp: proposals.lp,
      title: proposals.title,
      status: proposals.status,
      version: proposals.version,
      inSource: proposals.inSource,
      consultationId: proposals.consultationId,
      consultationTitle: consultations.title,
      tableNumber: workshopTables.number,
    })
    .from(proposals)
    .innerJoin(consultations, eq(consultations.id, proposals.consultationId))
    .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
    .where(inArray(proposals.id, ids))
    .orderBy(asc(proposals.consultationId), asc(proposals.lp))
    .all();
}

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

/** The units a proposal is assigned to. */
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
