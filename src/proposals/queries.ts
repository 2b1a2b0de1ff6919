import { and, asc, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import {
  consultations,
  meta,
  proposals,
  proposalUnits,
  unitGroupMembers,
  units,
  workshopTables,
} from '../db/schema/index.js';
import type { ProposalStatus } from '../db/schema/proposals.js';
import { proposalSearch } from '../db/search-table.js';

export type ProposalFilter = {
  consultationId: number;
  ftsQuery?: string | null;
  /** the LP typed in the search box (src/search) */
  lp?: number;
  tableNumber?: number;
  unitId?: number;
  status?: ProposalStatus;
};

export type UnitRef = { id: number; name: string; slug: string; kind: string };

/** The `meta` key naming the consultation shown without `?consultation=` (absent: the first imported). */
export const CURRENT_CONSULTATION_KEY = 'current_consultation_id';

/** The consultation with this slug; without one, the current consultation. */
export function findConsultation(db: DbOrTx, slug?: string) {
  if (slug) return db.select().from(consultations).where(eq(consultations.slug, slug)).get();
  const current = db.select({ value: meta.value }).from(meta).where(eq(meta.key, CURRENT_CONSULTATION_KEY)).get();
  const chosen = current && db.select().from(consultations).where(eq(consultations.id, current.value)).get();
  // importing another consultation does not change what the home page shows
  return chosen ?? db.select().from(consultations).orderBy(asc(consultations.id)).limit(1).get();
}

export function setCurrentConsultationId(tx: DbOrTx, consultationId: number): void {
  tx.insert(meta)
    .values({ key: CURRENT_CONSULTATION_KEY, value: consultationId })
    .onConflictDoUpdate({ target: meta.key, set: { value: consultationId } })
    .run();
}

export function listConsultations(db: DbOrTx) {
  return db.select().from(consultations).orderBy(desc(consultations.id)).all();
}

export function listWorkshopTables(db: DbOrTx, consultationId: number) {
  return db
    .select()
    .from(workshopTables)
    .where(eq(workshopTables.consultationId, consultationId))
    .orderBy(asc(workshopTables.number))
    .all();
}

/**
 * Conditions on proposals alone (no join needed). With `ftsJoined` the query is driven by
 * proposal_search (see countProposals) and the search becomes a rowid join instead of IN.
 */
function filterConditions(f: ProposalFilter, ftsJoined = false): SQL {
  // With a table filter the selective index is proposals_table_idx; a unary "+" (same value) keeps
  // SQLite from choosing the (consultation_id, …) indexes instead, which visit the whole consultation.
  const byTable = f.tableNumber !== undefined;
  const conds: (SQL | undefined)[] = [
    byTable ? sql`+${proposals.consultationId} = ${f.consultationId}` : eq(proposals.consultationId, f.consultationId),
    eq(proposals.inSource, true),
  ];
  if (f.ftsQuery) {
    conds.push(
      ftsJoined
        ? and(sql`proposal_search MATCH ${f.ftsQuery}`, eq(proposals.id, proposalSearch.rowid))
        : sql`${proposals.id} IN (SELECT rowid FROM proposal_search WHERE proposal_search MATCH ${f.ftsQuery})`,
    );
  }
  if (f.lp !== undefined) conds.push(eq(proposals.lp, f.lp));
  if (f.tableNumber !== undefined) {
    // same rows as joining workshop_tables and testing its number, but usable without the join
    conds.push(
      sql`${proposals.workshopTableId} IN (SELECT ${workshopTables.id} FROM ${workshopTables} WHERE ${workshopTables.number} = ${f.tableNumber})`,
    );
  }
  if (f.status) conds.push(byTable ? sql`+${proposals.status} = ${f.status}` : eq(proposals.status, f.status));
  if (f.unitId !== undefined) {
    // addressed directly, or through a unit group the unit belongs to
    conds.push(sql`${proposals.id} IN (SELECT ${proposalUnits.proposalId} FROM ${proposalUnits} WHERE ${proposalUnits.unitId} = ${f.unitId}
      OR ${proposalUnits.unitId} IN (SELECT ${unitGroupMembers.groupId} FROM ${unitGroupMembers} WHERE ${unitGroupMembers.unitId} = ${f.unitId}))`);
  }
  return and(...conds)!;
}

const listColumns = {
  id: proposals.id,
  lp: proposals.lp,
  lpDeduced: proposals.lpDeduced,
  title: proposals.title,
  points: proposals.points,
  remarks: proposals.remarks,
  sourceNotes: proposals.sourceNotes,
  status: proposals.status,
  updatedAt: proposals.updatedAt,
  tableNumber: workshopTables.number,
  tableTheme: workshopTables.theme,
  tableThemeLegible: workshopTables.themeLegible,
  moderators: workshopTables.moderators,
};

/** A search counts its matches up to this many and no further ("ponad 1000"): broad words stay fast. */
export const SEARCH_COUNT_CAP = 1000;

export function countProposals(db: DbOrTx, f: ProposalFilter): number {
  if (f.ftsQuery) {
    // Start from the full-text matches (CROSS JOIN fixes that order in SQLite) and look each one up
    // by rowid: the cost follows the number of matches, not the size of the consultation; stop past the cap.
    const matches = db
      .select({ one: sql`1` })
      .from(proposalSearch)
      .crossJoin(proposals)
      .where(filterConditions(f, true))
      .limit(SEARCH_COUNT_CAP + 1)
      .as('matches');
    return db.select({ n: count() }).from(matches).get()?.n ?? 0;
  }
  return db.select({ n: count() }).from(proposals).where(filterConditions(f)).get()?.n ?? 0;
}

/** Up to this many full-text matches, a search list starts from the matches rather than from the consultation. */
const FEW_MATCHES = 2000;

function hasFewMatches(db: DbOrTx, ftsQuery: string): boolean {
  const probe = db
    .select({ rowid: proposalSearch.rowid })
    .from(proposalSearch)
    .where(sql`proposal_search MATCH ${ftsQuery}`)
    .limit(FEW_MATCHES + 1)
    .as('probe');
  return (db.select({ n: count() }).from(probe).get()?.n ?? 0) <= FEW_MATCHES;
}

export function listProposals(db: DbOrTx, f: ProposalFilter, page?: { limit: number; offset: number }) {
  // A rare search term: look up its few matches and sort them (cost follows the matches). Otherwise
  // walk the consultation in LP order against the match list and stop once the page is full.
  const q =
    f.ftsQuery && hasFewMatches(db, f.ftsQuery)
      ? db
          .select(listColumns)
          .from(proposalSearch)
          .crossJoin(proposals)
          .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
          .where(filterConditions(f, true))
          .orderBy(asc(proposals.lp))
      : db
          .select(listColumns)
          .from(proposals)
          .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
          .where(filterConditions(f))
          .orderBy(asc(proposals.lp));
  return page ? q.limit(page.limit).offset(page.offset).all() : q.all();
}

/** Ids of every proposal matching the filter, in LP order (the export reads the rows in chunks). */
export function listProposalIds(db: DbOrTx, f: ProposalFilter): number[] {
  const q = f.ftsQuery
    ? db.select({ id: proposals.id }).from(proposalSearch).crossJoin(proposals).where(filterConditions(f, true))
    : db.select({ id: proposals.id }).from(proposals).where(filterConditions(f));
  return q
    .orderBy(asc(proposals.lp))
    .all()
    .map((r) => r.id);
}

/** Full-text matches best first (bm25), for partial matches: the proposals sharing most and rarest words lead. */
export function listRankedProposals(db: DbOrTx, f: ProposalFilter, page?: { limit: number; offset: number }) {
  const q = db
    .select(listColumns)
    .from(proposalSearch)
    .crossJoin(proposals)
    .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
    .where(filterConditions(f, true))
    .orderBy(sql`bm25(proposal_search)`, asc(proposals.lp));
  return page ? q.limit(page.limit).offset(page.offset).all() : q.all();
}

/** Ids of listRankedProposals, for the export. */
export function listRankedProposalIds(db: DbOrTx, f: ProposalFilter): number[] {
  return db
    .select({ id: proposals.id })
    .from(proposalSearch)
    .crossJoin(proposals)
    .where(filterConditions(f, true))
    .orderBy(sql`bm25(proposal_search)`, asc(proposals.lp))
    .all()
    .map((r) => r.id);
}

/** Units named by each proposal, in source order. */
export function unitsForProposals(db: DbOrTx, proposalIds: number[]): Map<number, UnitRef[]> {
  const out = new Map<number, UnitRef[]>();
  for (let i = 0; i < proposalIds.length; i += 900) {
    const rows = db
      .select({
        proposalId: proposalUnits.proposalId,
        id: units.id,
        name: units.name,
        slug: units.slug,
        kind: units.kind,
      })
      .from(proposalUnits)
      .innerJoin(units, eq(units.id, proposalUnits.unitId))
      .where(inArray(proposalUnits.proposalId, proposalIds.slice(i, i + 900)))
      .orderBy(asc(proposalUnits.proposalId), asc(proposalUnits.ordinal))
      .all();
    for (const { proposalId, ...u } of rows) {
      const list = out.get(proposalId) ?? [];
      list.push(u);
      out.set(proposalId, list);
    }
  }
  return out;
}

export function getProposal(db: DbOrTx, id: number) {
  return db
    .select({
      ...listColumns,
      consultationId: proposals.consultationId,
      inSource: proposals.inSource,
      version: proposals.version,
      duplicateOfId: proposals.duplicateOfId,
      workshopTableId: proposals.workshopTableId,
      consultationSlug: consultations.slug,
      consultationTitle: consultations.title,
    })
    .from(proposals)
    .innerJoin(consultations, eq(consultations.id, proposals.consultationId))
    .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
    .where(eq(proposals.id, id))
    .get();
}

/** LPs the source shows no row for. */
export function listSourceGaps(db: DbOrTx, consultationId: number): number[] {
  return db
    .select({ lp: proposals.lp })
    .from(proposals)
    .where(and(eq(proposals.consultationId, consultationId), eq(proposals.inSource, false)))
    .orderBy(asc(proposals.lp))
    .all()
    .map((r) => r.lp);
}

export function listUnits(db: DbOrTx) {
  return db.select().from(units).orderBy(asc(units.name)).all();
}

export function findUnitBySlug(db: DbOrTx, slug: string) {
  return db.select().from(units).where(eq(units.slug, slug)).get();
}

/** Groups a unit belongs to, and (for a group) its member units. */
export function groupsOfUnit(db: DbOrTx, unitId: number) {
  return db
    .select({ id: units.id, name: units.name, slug: units.slug, kind: units.kind })
    .from(unitGroupMembers)
    .innerJoin(units, eq(units.id, unitGroupMembers.groupId))
    .where(eq(unitGroupMembers.unitId, unitId))
    .orderBy(asc(units.name))
    .all();
}
export function membersOfGroup(db: DbOrTx, groupId: number) {
  return db
    .select({ id: units.id, name: units.name, slug: units.slug, kind: units.kind })
    .from(unitGroupMembers)
    .innerJoin(units, eq(units.id, unitGroupMembers.unitId))
    .where(eq(unitGroupMembers.groupId, groupId))
    .orderBy(asc(units.name))
    .all();
}

/** How many proposals (of a consultation) name each unit directly. */
export function proposalCountsByUnit(db: DbOrTx, consultationId: number): Map<number, number> {
  const rows = db
    .select({ unitId: proposalUnits.unitId, n: count() })
    .from(proposalUnits)
    .innerJoin(proposals, eq(proposals.id, proposalUnits.proposalId))
    .where(and(eq(proposals.consultationId, consultationId), eq(proposals.inSource, true)))
    .groupBy(proposalUnits.unitId)
    .all();
  return new Map(rows.map((r) => [r.unitId, r.n]));
}

/** A unit's name by id (events record names, so the timeline reads right after renames). */
export function unitName(db: DbOrTx, unitId: number): string {
  return db.select({ name: units.name }).from(units).where(eq(units.id, unitId)).get()!.name;
}
