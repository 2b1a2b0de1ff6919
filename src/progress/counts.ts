import { and, asc, count, eq, isNull } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { DbOrTx } from '../db/client.js';
import { decisions, proposals, workshopTables } from '../db/schema/index.js';
import { OUTCOMES, type Outcome } from '../db/schema/workflow.js';
import { isConsidered, type PublicStage, stageOf } from '../workflow/workflow.js';

/** The public stages of progress (PUBLIC_STAGES in src/workflow/workflow.ts), in words. */
export const STAGE_LABELS: Record<PublicStage, string> = {
  decided: 'rozstrzygnięte',
  inProgress: 'w toku (czekają na stanowiska lub decyzję)',
  waiting: 'czekają na przekazanie do jednostek',
  merged: 'połączone z inną propozycją (duplikaty)',
};

export type StageCounts = Record<PublicStage, number> & { total: number };

const emptyCounts = (): StageCounts => ({ total: 0, decided: 0, inProgress: 0, waiting: 0, merged: 0 });

export type TableProgress = StageCounts & { number: number; theme: string; themeLegible: boolean };

export type ConsultationProgress = {
  overall: StageCounts;
  /** "rozpatrzone" (isConsidered): decided, or duplicates of decided proposals – the report's count */
  considered: number;
  /** decisions in force by outcome, in the order of OUTCOMES (zeros kept) */
  byOutcome: { outcome: Outcome; count: number }[];
  byTable: TableProgress[];
};

/** Percent of a whole, rounded; 0 of nothing is 0. */
export function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((100 * part) / whole);
}

/**
 * Public progress of one consultation: where its proposals stand, by outcome and by workshop table.
 * SQLite counts the groups (status × table × outcome), so a 100,000-proposal consultation costs a few
 * dozen rows in JavaScript, not one per proposal.
 */
export function consultationProgress(db: DbOrTx, consultationId: number): ConsultationProgress {
  const original = alias(proposals, 'original');
  const rows = db
    .select({
      n: count(),
      status: proposals.status,
      tableNumber: workshopTables.number,
      tableTheme: workshopTables.theme,
      tableThemeLegible: workshopTables.themeLegible,
      outcome: decisions.outcome,
      originalStatus: original.status,
    })
    .from(proposals)
    .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
    .leftJoin(decisions, and(eq(decisions.proposalId, proposals.id), isNull(decisions.retractedAt)))
    .leftJoin(original, eq(original.id, proposals.duplicateOfId))
    .where(and(eq(proposals.consultationId, consultationId), eq(proposals.inSource, true)))
    .groupBy(proposals.status, workshopTables.id, decisions.outcome, original.status)
    .orderBy(asc(workshopTables.number))
    .all();
  const overall = emptyCounts();
  let considered = 0;
  const outcomes = new Map<Outcome, number>();
  const tables = new Map<number, TableProgress>();
  for (const r of rows) {
    const stage = stageOf(r.status);
    overall.total += r.n;
    overall[stage] += r.n;
    if (isConsidered(r.status, r.originalStatus)) considered += r.n;
    if (stage === 'decided' && r.outcome) outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + r.n);
    if (r.tableNumber === null) continue;
    let t = tables.get(r.tableNumber);
    if (!t) {
      t = {
        ...emptyCounts(),
        number: r.tableNumber,
        theme: r.tableTheme ?? '',
        themeLegible: r.tableThemeLegible ?? true,
      };
      tables.set(r.tableNumber, t);
    }
    t.total += r.n;
    t[stage] += r.n;
  }
  return {
    overall,
    considered,
    byOutcome: OUTCOMES.map((outcome) => ({ outcome, count: outcomes.get(outcome) ?? 0 })),
    byTable: [...tables.values()],
  };
}
