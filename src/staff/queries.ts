import { and, asc, eq, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { assignments, positions, proposals, units, workshopTables } from '../db/schema/index.js';

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
