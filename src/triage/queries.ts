import { asc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { consultations, proposals, workshopTables } from '../db/schema/index.js';

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
