import { and, asc, count, desc, eq, gt, lt, type Placeholder, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { inIds, preparedQuery } from '../db/prepared.js';
import {
  assignments,
  consultations,
  decisions,
  events,
  meta,
  positions,
  proposals,
  proposalUnits,
  unitFormerSlugs,
  unitGroupMembers,
  units,
  workshopTables,
} from '../db/schema/index.js';
import type { ProposalStatus } from '../db/schema/proposals.js';
import type { Outcome } from '../db/schema/workflow.js';
import { proposalSearch } from '../db/search-table.js';

export type ProposalFilter = {
  consultationId: number;
  ftsQuery?: string | null;
  /** partial matches: the parts `ftsQuery` matches any of, so the ranking can start from the rare ones */
  ftsParts?: string[];
  /**
   * The ids the consultation's proposals lie between (proposalIdRange): the search reads only that stretch
   * of the index, which FTS5 seeks to, rather than the matches of every consultation.
   */
  ftsRowids?: IdRange | null;
  /** the LP typed in the search box (src/search) */
  lp?: number;
  /**
   * A unit the search box names (src/search): the proposals addressed or assigned to one of these units, or
   * whose text matches `ftsQuery` (its name or abbreviation in the text).
   */
  unitRef?: { unitIds: number[]; ftsQuery: string | null };
  /** A search's matches, best first (partial matches ranked by src/search): only these, in this order. */
  rankedIds?: number[];
  tableNumber?: number;
  unitId?: number;
  status?: ProposalStatus;
  /** the outcome of the decision in force */
  outcome?: Outcome;
};

export type IdRange = {
  first: number;
  last: number;
  /** every proposal in the index between the two ids is this consultation's */
  alone: boolean;
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
 * The units of a proposal, defined once: the units the office assigned it to, and the addressees the
 * workshop named in the source row (directly, or through a unit group the unit belongs to). The list's
 * `unit` filter, the unit pages and their counts, the proposal page and the export all read this.
 */
export function proposalsOfUnit(unitId: number | SQL | Placeholder): SQL {
  return sql`(SELECT ${assignments.proposalId} FROM ${assignments} WHERE ${assignments.unitId} = ${unitId}
    UNION SELECT ${proposalUnits.proposalId} FROM ${proposalUnits} WHERE ${proposalUnits.unitId} = ${unitId}
      OR ${proposalUnits.unitId} IN (SELECT ${unitGroupMembers.groupId} FROM ${unitGroupMembers}
        WHERE ${unitGroupMembers.unitId} = ${unitId}))`;
}

/** Proposals whose decision in force has this outcome. */
function decidedWith(outcome: Outcome | Placeholder): SQL {
  return sql`(SELECT ${decisions.proposalId} FROM ${decisions}
    WHERE ${decisions.retractedAt} IS NULL AND ${decisions.outcome} = ${outcome})`;
}

/**
 * The index's rowids within a range (FTS5 turns this into a seek), or nothing without one. The bounds are
 * cast: better-sqlite3 binds a JS number as REAL, and FTS5 ignores a rowid bound that is not an INTEGER.
 */
function rowidsWithin(range: IdRange | null | undefined): SQL | undefined {
  return range
    ? sql`${proposalSearch.rowid} BETWEEN CAST(${P.first} AS INTEGER) AND CAST(${P.last} AS INTEGER)`
    : undefined;
}

/**
 * The filter's values are bound to named placeholders, so a statement's text depends only on which filters
 * are set (filterShape): each shape is built and compiled once per connection (preparedQuery), not on every
 * list or search page.
 */
const P = {
  consultationId: sql.placeholder('consultationId'),
  fts: sql.placeholder('fts'),
  first: sql.placeholder('first'),
  last: sql.placeholder('last'),
  lp: sql.placeholder('lp'),
  tableNumber: sql.placeholder('tableNumber'),
  status: sql.placeholder('status'),
  outcome: sql.placeholder('outcome'),
  unitId: sql.placeholder('unitId'),
  refUnits: sql.placeholder('refUnits'),
  refFts: sql.placeholder('refFts'),
  rankedIds: sql.placeholder('rankedIds'),
  limit: sql.placeholder('limit'),
  offset: sql.placeholder('offset'),
};

/** Which of the filter's conditions are set: what the text of filterConditions depends on. */
function filterShape(f: ProposalFilter): string {
  return (
    (f.ftsQuery ? 'q' : '-') +
    (f.ftsQuery && f.ftsRowids ? 'r' : '-') +
    (f.lp !== undefined ? 'l' : '-') +
    (f.tableNumber !== undefined ? 't' : '-') +
    (f.status ? 's' : '-') +
    (f.outcome ? 'o' : '-') +
    (f.unitId !== undefined ? 'u' : '-') +
    (f.unitRef ? (f.unitRef.ftsQuery ? 'N' : 'n') : '-') +
    (f.rankedIds ? 'k' : '-')
  );
}

/** The values for filterConditions' placeholders. */
function filterValues(f: ProposalFilter, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    consultationId: f.consultationId,
    fts: f.ftsQuery ?? null,
    first: f.ftsRowids?.first ?? null,
    last: f.ftsRowids?.last ?? null,
    lp: f.lp ?? null,
    tableNumber: f.tableNumber ?? null,
    status: f.status ?? null,
    outcome: f.outcome ?? null,
    unitId: f.unitId ?? null,
    refUnits: f.unitRef ? JSON.stringify(f.unitRef.unitIds) : null,
    refFts: f.unitRef?.ftsQuery ?? null,
    rankedIds: f.rankedIds ? JSON.stringify(f.rankedIds) : null,
    ...more,
  };
}

/** The lowest and highest id of a consultation's proposals in the index (in the source); null: none. */
export function proposalIdRange(db: DbOrTx, consultationId: number): IdRange | null {
  const row = db
    .select({
      first: sql<number | null>`min(${proposals.id})`,
      last: sql<number | null>`max(${proposals.id})`,
      n: count(),
    })
    .from(proposals)
    .where(and(eq(proposals.consultationId, consultationId), eq(proposals.inSource, true)))
    .get();
  if (!row || row.first === null || row.last === null) return null;
  const inRange =
    db
      .select({ n: count() })
      .from(proposals)
      .where(and(sql`${proposals.id} BETWEEN ${row.first} AND ${row.last}`, eq(proposals.inSource, true)))
      .get()?.n ?? 0;
  return { first: row.first, last: row.last, alone: inRange === row.n };
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
    byTable ? sql`+${proposals.consultationId} = ${P.consultationId}` : eq(proposals.consultationId, P.consultationId),
    eq(proposals.inSource, true),
  ];
  if (f.ftsQuery) {
    const stretch = rowidsWithin(f.ftsRowids);
    conds.push(
      ftsJoined
        ? and(sql`proposal_search MATCH ${P.fts}`, stretch, eq(proposals.id, proposalSearch.rowid))
        : sql`${proposals.id} IN (SELECT rowid FROM proposal_search WHERE proposal_search MATCH ${P.fts}${
            stretch ? sql` AND ${stretch}` : sql``
          })`,
    );
  }
  if (f.lp !== undefined) conds.push(eq(proposals.lp, P.lp));
  if (f.tableNumber !== undefined) {
    // same rows as joining workshop_tables and testing its number, but usable without the join
    conds.push(
      sql`${proposals.workshopTableId} IN (SELECT ${workshopTables.id} FROM ${workshopTables} WHERE ${workshopTables.number} = ${P.tableNumber})`,
    );
  }
  if (f.status) conds.push(byTable ? sql`+${proposals.status} = ${P.status}` : eq(proposals.status, P.status));
  if (f.outcome) conds.push(sql`${proposals.id} IN ${decidedWith(P.outcome)}`);
  if (f.unitId !== undefined) conds.push(sql`${proposals.id} IN ${proposalsOfUnit(P.unitId)}`);
  if (f.unitRef) {
    // looked up per proposal by the (proposal, unit) keys: a walk in LP order stops after a page or the cap,
    // instead of first collecting every proposal of a unit that 100,000 proposals name
    const units = sql`(SELECT value FROM json_each(${P.refUnits}))`;
    const texts = f.unitRef.ftsQuery
      ? sql` OR ${proposals.id} IN (SELECT rowid FROM proposal_search WHERE proposal_search MATCH ${P.refFts})`
      : sql``;
    conds.push(sql`(EXISTS (SELECT 1 FROM ${proposalUnits} WHERE ${proposalUnits.proposalId} = ${proposals.id}
      AND ${proposalUnits.unitId} IN ${units})
      OR EXISTS (SELECT 1 FROM ${assignments} WHERE ${assignments.proposalId} = ${proposals.id}
      AND ${assignments.unitId} IN ${units})${texts})`);
  }
  if (f.rankedIds) conds.push(sql`${proposals.id} IN (SELECT value FROM json_each(${P.rankedIds}))`);
  return and(...conds)!;
}

/** The columns of a proposal row as the list and the export read it. */
export const listColumns = {
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

/** The columns of a proposal row as the list page shows it (its workshop table is looked up by id). */
const rowColumns = {
  id: proposals.id,
  lp: proposals.lp,
  title: proposals.title,
  status: proposals.status,
  workshopTableId: proposals.workshopTableId,
};

/** A search counts its matches up to this many and no further ("ponad 1000"): broad words stay fast. */
export const SEARCH_COUNT_CAP = 1000;

export function countProposals(db: DbOrTx, f: ProposalFilter): number {
  if (f.ftsQuery) return countMatches(db, f, SEARCH_COUNT_CAP + 1);
  if (f.unitRef) {
    // a unit the search names: counted as far as the cap, like a text search; a unit most proposals name
    // reaches the cap by its own proposals, read from its index, without walking the consultation
    const { unitRef: _named, ...rest } = f;
    const direct = preparedQuery(db, `count unit capped ${filterShape(rest)}`, () =>
      db.select({ n: count() }).from(
        db
          .select({ one: sql`1` })
          .from(proposalUnits)
          .crossJoin(proposals)
          .where(
            and(
              sql`${proposalUnits.unitId} IN (SELECT value FROM json_each(${P.refUnits}))`,
              eq(proposals.id, proposalUnits.proposalId),
              filterConditions(rest),
            ),
          )
          .limit(P.limit)
          .as('m'),
      ),
    ).get(filterValues(f, { limit: SEARCH_COUNT_CAP + 1 }))?.n;
    if (direct !== undefined && direct > SEARCH_COUNT_CAP) return direct;
    return (
      preparedQuery(db, `count capped ${filterShape(f)}`, () =>
        db
          .select({ n: count() })
          .from(db.select({ one: sql`1` }).from(proposals).where(filterConditions(f)).limit(P.limit).as('m')),
      ).get(filterValues(f, { limit: SEARCH_COUNT_CAP + 1 }))?.n ?? 0
    );
  }
  return (
    preparedQuery(db, `count ${filterShape(f)}`, () =>
      db.select({ n: count() }).from(proposals).where(filterConditions(f)),
    ).get(filterValues(f))?.n ?? 0
  );
}

/** Proposals matching a full-text filter, counted up to `cap` (no cap: all). */
function countMatches(db: DbOrTx, f: ProposalFilter, cap?: number): number {
  const onlySearch =
    f.ftsQuery &&
    f.ftsRowids?.alone &&
    f.lp === undefined &&
    f.tableNumber === undefined &&
    f.unitId === undefined &&
    f.status === undefined &&
    f.outcome === undefined &&
    !f.unitRef &&
    !f.rankedIds;
  // Start from the full-text matches (CROSS JOIN fixes that order in SQLite) and look each one up
  // by rowid: the cost follows the number of matches, not the size of the consultation. With nothing
  // but the search, and the consultation alone in its stretch of the index, the index's rowids suffice.
  const key = `matches ${onlySearch ? 'alone' : 'joined'} ${cap === undefined ? 'all' : 'capped'} ${filterShape(f)}`;
  const statement = preparedQuery(db, key, () => {
    const q = onlySearch
      ? db
          .select({ one: sql`1` })
          .from(proposalSearch)
          .where(and(sql`proposal_search MATCH ${P.fts}`, rowidsWithin(f.ftsRowids)))
      : db.select({ one: sql`1` }).from(proposalSearch).crossJoin(proposals).where(filterConditions(f, true));
    const matches = (cap === undefined ? q : q.limit(P.limit)).as('matches');
    return db.select({ n: count() }).from(matches);
  });
  return statement.get(filterValues(f, { limit: cap ?? null }))?.n ?? 0;
}

/** Up to this many full-text matches, a search list starts from the matches rather than from the consultation. */
const FEW_MATCHES = 2000;

/** Whether the full-text query matches at most `n` proposals (of any consultation); reads at most n + 1 matches. */
function matchesAtMost(db: DbOrTx, ftsQuery: string, n: number, rowids?: IdRange | null): boolean {
  const statement = preparedQuery(db, `at most ${rowids ? 'range' : 'all'}`, () => {
    const probe = db
      .select({ rowid: proposalSearch.rowid })
      .from(proposalSearch)
      .where(and(sql`proposal_search MATCH ${P.fts}`, rowidsWithin(rowids)))
      .limit(P.limit)
      .as('probe');
    return db.select({ n: count() }).from(probe);
  });
  const found = statement.get({
    fts: ftsQuery,
    first: rowids?.first ?? null,
    last: rowids?.last ?? null,
    limit: n + 1,
  });
  return (found?.n ?? 0) <= n;
}

function hasFewMatches(db: DbOrTx, ftsQuery: string, rowids?: IdRange | null): boolean {
  return matchesAtMost(db, ftsQuery, FEW_MATCHES, rowids);
}

/**
 * A search's first `n` matches in LP order, found from its first `n` matches in id order, which FTS5 reads
 * without touching the rest: the importer creates a consultation's proposals in LP order, so these are
 * usually the same rows, and they are exactly when no proposal of the consultation with a lower LP than the
 * last of them has a higher id than any of them (every match below that LP is then among them). Null
 * otherwise (an LP corrected by hand, a later import filling a gap): the caller walks in LP order instead.
 */
function firstMatchesInLpOrder(db: DbOrTx, f: ProposalFilter, n: number) {
  const rows = preparedQuery(db, `first matches ${filterShape(f)}`, () =>
    db
      .select(rowColumns)
      .from(proposalSearch)
      .crossJoin(proposals)
      .where(filterConditions(f, true))
      .orderBy(asc(proposalSearch.rowid))
      .limit(P.limit),
  ).all(filterValues(f, { limit: n }));
  rows.sort((a, b) => a.lp - b.lp);
  if (rows.length < n) return rows; // every match
  const lastLp = rows[rows.length - 1]!.lp;
  const maxId = rows.reduce((max, r) => Math.max(max, r.id), 0);
  const overtaken = preparedQuery(db, 'overtaken', () =>
    db
      .select({ id: proposals.id })
      .from(proposals)
      .where(
        and(
          eq(proposals.consultationId, P.consultationId),
          eq(proposals.inSource, true),
          lt(proposals.lp, sql.placeholder('lastLp')),
          gt(proposals.id, sql.placeholder('maxId')),
        ),
      )
      .limit(1),
  ).get({ consultationId: f.consultationId, lastLp, maxId });
  return overtaken ? null : rows;
}

export function listProposals(db: DbOrTx, f: ProposalFilter, page?: { limit: number; offset: number }) {
  if (f.ftsQuery && page) {
    const first = firstMatchesInLpOrder(db, f, page.offset + page.limit);
    if (first) return first.slice(page.offset);
  }
  // A rare search term: look up its few matches and sort them (cost follows the matches). Otherwise
  // walk the consultation in LP order against the match list and stop once the page is full.
  const fromMatches = Boolean(f.ftsQuery && hasFewMatches(db, f.ftsQuery, f.ftsRowids));
  const key = `list ${fromMatches ? 'matches' : 'walk'} ${page ? 'page' : 'all'} ${filterShape(f)}`;
  const statement = preparedQuery(db, key, () => {
    const q = fromMatches
      ? db
          .select(rowColumns)
          .from(proposalSearch)
          .crossJoin(proposals)
          .where(filterConditions(f, true))
          .orderBy(asc(proposals.lp))
      : db.select(rowColumns).from(proposals).where(filterConditions(f)).orderBy(asc(proposals.lp));
    return page ? q.limit(P.limit).offset(P.offset) : q;
  });
  return statement.all(filterValues(f, page ?? {}));
}

/** Ids of every proposal matching the filter, in LP order (the export reads the rows in chunks). */
export function listProposalIds(db: DbOrTx, f: ProposalFilter): number[] {
  return preparedQuery(db, `ids ${filterShape(f)}`, () =>
    (f.ftsQuery
      ? db.select({ id: proposals.id }).from(proposalSearch).crossJoin(proposals).where(filterConditions(f, true))
      : db.select({ id: proposals.id }).from(proposals).where(filterConditions(f))
    ).orderBy(asc(proposals.lp)),
  )
    .all(filterValues(f))
    .map((r) => r.id);
}

/**
 * A partial search's matches in two tiers. bm25 weighs a word by its rarity, so a part found in most
 * proposals adds next to nothing to any score: the proposals with a rare part (at most SEARCH_COUNT_CAP
 * matches) come first, by bm25; then those with only common parts, in LP order – the order bm25's
 * near-equal scores would give them anyway, reached without scoring tens of thousands of matches.
 * With no common part (every part in a small consultation) it is one tier: all matches by bm25.
 */
function partialTiers(db: DbOrTx, f: ProposalFilter): { ranked: ProposalFilter; rest: ProposalFilter | null } {
  const parts = f.ftsParts ?? [];
  const common = parts.filter((p) => !matchesAtMost(db, p, SEARCH_COUNT_CAP, f.ftsRowids));
  if (common.length === 0) return { ranked: f, rest: null };
  const rare = parts.filter((p) => !common.includes(p));
  const anyCommon = common.join(' OR ');
  const anyRare = rare.join(' OR ');
  return {
    ranked: { ...f, ftsQuery: rare.length ? anyRare : null },
    rest: { ...f, ftsQuery: rare.length ? `(${anyCommon}) NOT (${anyRare})` : anyCommon },
  };
}

/** A partial search's ranked tier, best first (all of it, or a page). */
function rankedRows(db: DbOrTx, f: ProposalFilter, page?: { limit: number; offset: number }) {
  return preparedQuery(db, `ranked ${page ? 'page' : 'all'} ${filterShape(f)}`, () => {
    const q = db
      .select(rowColumns)
      .from(proposalSearch)
      .crossJoin(proposals)
      .where(filterConditions(f, true))
      .orderBy(sql`bm25(proposal_search)`, asc(proposals.lp));
    return page ? q.limit(P.limit).offset(P.offset) : q;
  }).all(filterValues(f, page ?? {}));
}

/** Rows of the given ids in that order (a ranked search's page). */
function rowsInOrder(db: DbOrTx, ids: number[]) {
  const rows = preparedQuery(db, 'rows of ids', () =>
    db.select(rowColumns).from(proposals).where(inIds(proposals.id)),
  ).all({ ids: JSON.stringify(ids) });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id)).filter((r) => r !== undefined);
}

/**
 * Partial matches best first: as src/search ranked them (rankedIds), or else (see partialTiers) the proposals
 * sharing most and rarest words lead.
 */
export function listRankedProposals(db: DbOrTx, f: ProposalFilter, page?: { limit: number; offset: number }) {
  if (f.rankedIds) {
    return rowsInOrder(db, page ? f.rankedIds.slice(page.offset, page.offset + page.limit) : f.rankedIds);
  }
  const { ranked, rest } = partialTiers(db, f);
  const hasRanked = Boolean(ranked.ftsQuery);
  if (!page) return [...(hasRanked ? rankedRows(db, ranked) : []), ...(rest ? listProposals(db, rest) : [])];
  const rows = hasRanked ? rankedRows(db, ranked, page) : [];
  if (!rest || rows.length === page.limit) return rows;
  // the page reaches past the ranked tier: the rest continues where it ends
  const rankedCount = !hasRanked ? 0 : rows.length ? page.offset + rows.length : countMatches(db, ranked);
  const more = listProposals(db, rest, {
    limit: page.limit - rows.length,
    offset: Math.max(0, page.offset - rankedCount),
  });
  return [...rows, ...more];
}

/** Ids of listRankedProposals, for the export. */
export function listRankedProposalIds(db: DbOrTx, f: ProposalFilter): number[] {
  if (f.rankedIds) return f.rankedIds;
  const { ranked, rest } = partialTiers(db, f);
  const first = ranked.ftsQuery
    ? preparedQuery(db, `ranked ids ${filterShape(ranked)}`, () =>
        db
          .select({ id: proposals.id })
          .from(proposalSearch)
          .crossJoin(proposals)
          .where(filterConditions(ranked, true))
          .orderBy(sql`bm25(proposal_search)`, asc(proposals.lp)),
      )
        .all(filterValues(ranked))
        .map((r) => r.id)
    : [];
  return rest ? [...first, ...listProposalIds(db, rest)] : first;
}

function unitRefStatement(db: DbOrTx) {
  return db.select({ id: units.id, name: units.name, slug: units.slug, kind: units.kind }).from(units);
}

/** Every unit by id, as lists name them (a few dozen rows: the lists below share these objects). */
export function unitRefs(db: DbOrTx): ReadonlyMap<number, UnitRef> {
  const statement = preparedQuery(db, 'unit refs', () => unitRefStatement(db));
  return new Map(statement.all().map((u) => [u.id, u]));
}

function sourceUnitsStatement(db: DbOrTx) {
  return db
    .select({ proposalId: proposalUnits.proposalId, unitId: proposalUnits.unitId })
    .from(proposalUnits)
    .where(inIds(proposalUnits.proposalId))
    .orderBy(asc(proposalUnits.proposalId), asc(proposalUnits.ordinal));
}

/**
 * Units named by each proposal's source row (the workshop's addressees), in source order. `refs` (all units,
 * see unitRefs) may come from the caller when it already has them.
 */
export function unitsForProposals(
  db: DbOrTx,
  proposalIds: number[],
  refs: ReadonlyMap<number, UnitRef> = unitRefs(db),
): Map<number, UnitRef[]> {
  const out = new Map<number, UnitRef[]>();
  if (proposalIds.length === 0) return out;
  const statement = preparedQuery(db, 'source units of proposals', () => sourceUnitsStatement(db));
  for (const [proposalId, unitId] of statement.values({ ids: JSON.stringify(proposalIds) }) as [number, number][]) {
    pushTo(out, proposalId, refs.get(unitId)!);
  }
  return out;
}

export type AssignedUnit = UnitRef & { lead: boolean; dueDate: string; positionSubmitted: boolean };

function assignedUnitsStatement(db: DbOrTx) {
  return db
    .select({
      proposalId: assignments.proposalId,
      unitId: assignments.unitId,
      lead: assignments.lead,
      dueDate: assignments.dueDate,
      submittedAt: positions.submittedAt,
    })
    .from(assignments)
    .innerJoin(units, eq(units.id, assignments.unitId))
    .leftJoin(
      positions,
      and(eq(positions.proposalId, assignments.proposalId), eq(positions.unitId, assignments.unitId)),
    )
    .where(inIds(assignments.proposalId))
    .orderBy(asc(assignments.proposalId), desc(assignments.lead), asc(units.name));
}

/** The units the office assigned each proposal to: the lead first, then by name; whether each has answered. */
export function assignedUnitsFor(
  db: DbOrTx,
  proposalIds: number[],
  refs: ReadonlyMap<number, UnitRef> = unitRefs(db),
): Map<number, AssignedUnit[]> {
  const out = new Map<number, AssignedUnit[]>();
  if (proposalIds.length === 0) return out;
  const statement = preparedQuery(db, 'assigned units of proposals', () => assignedUnitsStatement(db));
  for (const { proposalId, unitId, submittedAt, lead, dueDate } of statement.all({
    ids: JSON.stringify(proposalIds),
  })) {
    pushTo(out, proposalId, { ...refs.get(unitId)!, lead, dueDate, positionSubmitted: submittedAt !== null });
  }
  return out;
}

export type ProposalUnits = {
  /** assigned by the office (who answers) */
  assigned: AssignedUnit[];
  /** named by the workshop in the source row ("Adresaci wskazani na warsztacie") */
  source: UnitRef[];
  /** positions submitted of those assigned, e.g. 2 of 3 */
  progress: { submitted: number; assigned: number };
  /** the earliest due date of a position not yet submitted (null: none pending) */
  dueDate: string | null;
};

/** The units of each proposal (see proposalsOfUnit): assigned and named in the source, with progress. */
export function proposalUnitsFor(
  db: DbOrTx,
  proposalIds: number[],
  refs: ReadonlyMap<number, UnitRef> = unitRefs(db),
): Map<number, ProposalUnits> {
  const assigned = assignedUnitsFor(db, proposalIds, refs);
  const source = unitsForProposals(db, proposalIds, refs);
  const out = new Map<number, ProposalUnits>();
  for (const id of proposalIds) {
    const a = assigned.get(id) ?? [];
    const pending = a.filter((u) => !u.positionSubmitted).map((u) => u.dueDate);
    out.set(id, {
      assigned: a,
      source: source.get(id) ?? [],
      progress: { submitted: a.filter((u) => u.positionSubmitted).length, assigned: a.length },
      dueDate: pending.length ? pending.sort()[0]! : null,
    });
  }
  return out;
}

/** Whether a unit is among a proposal's assigned units, its source addressees (directly or through a group), both. */
export function unitRole(units: ProposalUnits, unitId: number, groupIds: number[]) {
  const assigned = units.assigned.some((u) => u.id === unitId);
  const named = units.source.some((u) => u.id === unitId || groupIds.includes(u.id));
  return { assigned, named };
}

function pushTo<T>(map: Map<number, T[]>, key: number, value: T) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
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

/** The current slug of the unit that had `slug` before a rename, or undefined. */
export function currentSlugOfFormer(db: DbOrTx, slug: string): string | undefined {
  return db
    .select({ slug: units.slug })
    .from(unitFormerSlugs)
    .innerJoin(units, eq(units.id, unitFormerSlugs.unitId))
    .where(eq(unitFormerSlugs.slug, slug))
    .get()?.slug;
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

/**
 * How many proposals (of a consultation) each unit has: assigned to it or naming it in the source row
 * (directly or through a unit group it belongs to) – the same rows its unit page lists.
 */
export function proposalCountsByUnit(db: DbOrTx, consultationId: number): Map<number, number> {
  const rows = db.all<{ unitId: number; n: number }>(sql`
    WITH links(unit_id, proposal_id) AS (
      SELECT ${assignments.unitId}, ${assignments.proposalId} FROM ${assignments}
      UNION SELECT ${proposalUnits.unitId}, ${proposalUnits.proposalId} FROM ${proposalUnits}
      UNION SELECT ${unitGroupMembers.unitId}, ${proposalUnits.proposalId} FROM ${proposalUnits}
        JOIN ${unitGroupMembers} ON ${unitGroupMembers.groupId} = ${proposalUnits.unitId}
    )
    SELECT links.unit_id AS unitId, count(DISTINCT links.proposal_id) AS n FROM links
    JOIN ${proposals} ON ${proposals.id} = links.proposal_id
    WHERE ${proposals.consultationId} = ${consultationId} AND ${proposals.inSource} = 1
    GROUP BY links.unit_id`);
  return new Map(rows.map((r) => [r.unitId, r.n]));
}

/** Public duplicate events of other proposals naming this one as the original (merged into it, or taken out). */
export function mergedIntoEvents(db: DbOrTx, proposalId: number) {
  return db
    .select({
      id: events.id,
      type: events.type,
      before: events.before,
      after: events.after,
      note: events.note,
      createdAt: events.createdAt,
      proposalId: proposals.id,
      proposalLp: proposals.lp,
    })
    .from(events)
    .innerJoin(proposals, eq(proposals.id, events.proposalId))
    .where(
      and(
        eq(events.public, true),
        sql`((${events.type} = 'duplicate.marked' AND json_extract(${events.after}, '$.duplicateOfId') = ${proposalId})
          OR (${events.type} = 'duplicate.unmarked'
            AND json_extract(${events.before}, '$.duplicateOfId') = ${proposalId}))`,
      ),
    )
    .orderBy(asc(events.id))
    .all();
}

/** For proposals closed as duplicates: the original each repeats (id and LP). */
export function duplicateOriginalsFor(db: DbOrTx, proposalIds: number[]): Map<number, { id: number; lp: number }> {
  const out = new Map<number, { id: number; lp: number }>();
  for (let i = 0; i < proposalIds.length; i += 900) {
    const rows = db.all<{ proposalId: number; id: number; lp: number }>(sql`
      SELECT d.id AS proposalId, o.id AS id, o.lp AS lp FROM ${proposals} d
      JOIN ${proposals} o ON o.id = d.duplicate_of_id
      WHERE d.status = 'duplikat' AND d.id IN (SELECT value FROM json_each(${JSON.stringify(
        proposalIds.slice(i, i + 900),
      )}))`);
    for (const r of rows) out.set(r.proposalId, { id: r.id, lp: r.lp });
  }
  return out;
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

/** Proposals currently merged into this one as its duplicates. */
export function duplicatesOf(db: DbOrTx, proposalId: number) {
  return db
    .select({ id: proposals.id, lp: proposals.lp, title: proposals.title })
    .from(proposals)
    .where(and(eq(proposals.duplicateOfId, proposalId), eq(proposals.status, 'duplikat')))
    .orderBy(asc(proposals.lp))
    .all();
}

/** The latest decision withdrawn by reopening while none is in force (null otherwise). */
export function retractedDecision(db: DbOrTx, proposalId: number) {
  return (
    db
      .select({ outcome: decisions.outcome, publishedAt: decisions.publishedAt, retractedAt: decisions.retractedAt })
      .from(decisions)
      .where(and(eq(decisions.proposalId, proposalId), sql`${decisions.retractedAt} IS NOT NULL`))
      .orderBy(desc(decisions.id))
      .limit(1)
      .get() ?? null
  );
}

/** How many proposals of a consultation the office assigned to this unit. */
export function assignedCountForUnit(db: DbOrTx, consultationId: number, unitId: number): number {
  return (
    db
      .select({ n: count() })
      .from(assignments)
      .innerJoin(proposals, eq(proposals.id, assignments.proposalId))
      .where(
        and(eq(assignments.unitId, unitId), eq(proposals.consultationId, consultationId), eq(proposals.inSource, true)),
      )
      .get()?.n ?? 0
  );
}

/** A unit's name by id (events record names, so the timeline reads right after renames). */
export function unitName(db: DbOrTx, unitId: number): string {
  return db.select({ name: units.name }).from(units).where(eq(units.id, unitId)).get()!.name;
}
