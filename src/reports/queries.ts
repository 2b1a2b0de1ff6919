import { asc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { consultationReports, proposals, rdppOpinions, workshopTables } from '../db/schema/index.js';
import { currentDecisions } from '../decisions/service.js';
import { unitsForProposals } from '../proposals/queries.js';
import { recordedNote } from '../positions/basis.js';

/** The header fields the office keeps for a consultation's report (undefined until first saved). */
export function getReportHeader(db: DbOrTx, consultationId: number) {
  return db.select().from(consultationReports).where(eq(consultationReports.consultationId, consultationId)).get();
}

/** The RDPP's opinions on a consultation, oldest first. */
export function listOpinions(db: DbOrTx, consultationId: number) {
  return db
    .select({ date: rdppOpinions.date, text: rdppOpinions.text, attachmentName: rdppOpinions.attachmentName })
    .from(rdppOpinions)
    .where(eq(rdppOpinions.consultationId, consultationId))
    .orderBy(asc(rdppOpinions.date), asc(rdppOpinions.id))
    .all();
}

export function listTables(db: DbOrTx, consultationId: number) {
  return db
    .select({ number: workshopTables.number, theme: workshopTables.theme, themeLegible: workshopTables.themeLegible })
    .from(workshopTables)
    .where(eq(workshopTables.consultationId, consultationId))
    .orderBy(asc(workshopTables.number))
    .all();
}

/**
 * Every proposal of the consultation in the source's (LP) order, gaps included, with the units the
 * source row names, the decision in force and, for a duplicate, the LP of the proposal it joins.
 */
export function listReportProposals(db: DbOrTx, consultationId: number) {
  const rows = db
    .select({
      id: proposals.id,
      lp: proposals.lp,
      lpDeduced: proposals.lpDeduced,
      inSource: proposals.inSource,
      title: proposals.title,
      points: proposals.points,
      remarks: proposals.remarks,
      sourceNotes: proposals.sourceNotes,
      status: proposals.status,
      duplicateOfId: proposals.duplicateOfId,
      tableNumber: workshopTables.number,
      tableTheme: workshopTables.theme,
      tableThemeLegible: workshopTables.themeLegible,
    })
    .from(proposals)
    .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
    .where(eq(proposals.consultationId, consultationId))
    .orderBy(asc(proposals.lp))
    .all();
  const ids = rows.map((r) => r.id);
  const units = unitsForProposals(db, ids);
  const decisions = currentDecisions(db, ids);
  const lpById = new Map(rows.map((r) => [r.id, r.lp]));
  const originals = rows.map((r) => r.duplicateOfId).filter((id): id is number => id !== null && !lpById.has(id));
  if (originals.length) {
    for (const o of db
      .select({ id: proposals.id, lp: proposals.lp })
      .from(proposals)
      .where(inArray(proposals.id, originals))
      .all())
      lpById.set(o.id, o.lp);
  }
  return rows.map((r) => {
    const decision = decisions.get(r.id);
    return {
      ...r,
      addressees: (units.get(r.id) ?? []).map((u) => u.name),
      decision: decision
        ? {
            outcome: decision.outcome,
            text: decision.text,
            publishedAt: decision.publishedAt,
            // a position the office recorded on the unit's behalf says so beside the unit's name
            citedUnits: decision.citedPositions.map((c) => {
              const recorded = recordedNote(c);
              return recorded ? `${c.unitName} (stanowisko ${recorded})` : c.unitName;
            }),
          }
        : null,
      duplicateOfLp: r.duplicateOfId === null ? null : (lpById.get(r.duplicateOfId) ?? null),
    };
  });
}

export type ReportProposal = ReturnType<typeof listReportProposals>[number];
