import { and, asc, eq, inArray, max } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { consultationReports, events, proposals, rdppOpinions, workshopTables } from '../db/schema/index.js';
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
 * source row names, the decision in force and, for a duplicate, the LP and status of the proposal it joins.
 */
export function listReportProposals(db: DbOrTx, consultationId: number) {
  const rows = db
    .select({
      id: proposals.id,
      lp: proposals.lp,
      inSource: proposals.inSource,
      title: proposals.title,
      points: proposals.points,
      remarks: proposals.remarks,
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
  const byId = new Map(rows.map((r) => [r.id, { lp: r.lp, status: r.status }]));
  const originals = rows.map((r) => r.duplicateOfId).filter((id): id is number => id !== null && !byId.has(id));
  if (originals.length) {
    for (const o of db
      .select({ id: proposals.id, lp: proposals.lp, status: proposals.status })
      .from(proposals)
      .where(inArray(proposals.id, originals))
      .all())
      byId.set(o.id, { lp: o.lp, status: o.status });
  }
  return rows.map((r) => {
    const decision = decisions.get(r.id);
    const original = r.duplicateOfId === null ? undefined : byId.get(r.duplicateOfId);
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
      duplicateOfLp: original?.lp ?? null,
      /** the status of the proposal a duplicate repeats: its answer is the duplicate's */
      duplicateOfStatus: original?.status ?? null,
    };
  });
}

export type ReportProposal = ReturnType<typeof listReportProposals>[number];

/**
 * When the report's data last changed (ISO instant, null for none): the latest public event of the consultation's
 * proposals (decisions, positions cited, duplicates, corrections), import, the header or an RDPP opinion. The
 * report states it as "the data as of", which a reader can check against the date of a decision.
 */
export function lastChangeAt(db: DbOrTx, consultationId: number): string | null {
  const latest = (query: { value: string | null } | undefined) => query?.value ?? null;
  const candidates = [
    latest(
      db
        .select({ value: max(events.createdAt) })
        .from(events)
        .innerJoin(proposals, eq(proposals.id, events.proposalId))
        .where(and(eq(proposals.consultationId, consultationId), eq(events.public, true)))
        .get(),
    ),
    latest(
      db
        .select({ value: max(proposals.updatedAt) })
        .from(proposals)
        .where(eq(proposals.consultationId, consultationId))
        .get(),
    ),
    latest(
      db
        .select({ value: consultationReports.updatedAt })
        .from(consultationReports)
        .where(eq(consultationReports.consultationId, consultationId))
        .get(),
    ),
    latest(
      db
        .select({ value: max(rdppOpinions.createdAt) })
        .from(rdppOpinions)
        .where(eq(rdppOpinions.consultationId, consultationId))
        .get(),
    ),
  ].filter((v): v is string => v !== null);
  // ISO instants in UTC sort as strings
  return candidates.sort().at(-1) ?? null;
}
