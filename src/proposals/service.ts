import { recordAudit } from '../admin/audit.js';
import type { Db } from '../db/client.js';
import { bumpDataVersion } from '../db/version.js';
import { perDataVersion } from '../db/memo.js';
import { resolveSearch } from '../search/index.js';
import {
  countProposals,
  currentSlugOfFormer,
  findConsultation,
  findUnitBySlug,
  listConsultations,
  listProposalIds,
  listProposals,
  listRankedProposalIds,
  listRankedProposals,
  listSourceGaps,
  listUnits,
  listWorkshopTables,
  groupsOfUnit,
  proposalUnitsFor,
  setCurrentConsultationId,
  unitRefs,
  unitRole,
  type ProposalFilter,
} from './queries.js';
import { currentOutcomes } from '../decisions/service.js';
import { consultationProgress, type ConsultationProgress } from '../progress/counts.js';
import type { ListQuery } from './schema.js';

export const PAGE_SIZE = 100;

/**
 * The consultation's progress summary, computed once per data version: every search page shows the same
 * one, and counting a large consultation's proposals takes a while.
 */
function progressOf(db: Db, consultationId: number): ConsultationProgress {
  return perDataVersion(db, `progress:${consultationId}`, () => consultationProgress(db, consultationId));
}

export class NotFound extends Error {}

/**
 * The unit's current slug when `slug` is not a unit's slug now but was one before a rename (links in mails already
 * sent, bookmarks), else undefined. Read once per data version, as the unit itself is.
 */
export function renamedUnitSlug(db: Db, slug: string): string | undefined {
  if (perDataVersion(db, `unit:${slug}`, () => findUnitBySlug(db, slug))) return undefined;
  return perDataVersion(db, `unitRenamed:${slug}`, () => currentSlugOfFormer(db, slug));
}

/** Resolves the list's query string into a filter on one consultation. */
export function resolveFilter(db: Db, query: ListQuery) {
  // read by every list and search page, changed by few writes: once per data version
  const consultation = perDataVersion(db, `consultation:${query.consultation ?? ''}`, () =>
    findConsultation(db, query.consultation),
  );
  if (!consultation)
    throw new NotFound(
      query.consultation
        ? `Nie ma konsultacji „${query.consultation}”.`
        : 'Nie zaimportowano jeszcze żadnych konsultacji.',
    );
  const unitSlug = query.unit;
  const unit = unitSlug ? perDataVersion(db, `unit:${unitSlug}`, () => findUnitBySlug(db, unitSlug)) : undefined;
  if (query.unit && !unit) throw new NotFound(`Nie ma jednostki o identyfikatorze „${query.unit}”.`);
  const base: ProposalFilter = {
    consultationId: consultation.id,
    tableNumber: query.table,
    unitId: unit?.id,
    status: query.status,
    outcome: query.outcome,
  };
  // the search box: an LP, all words, typos corrected or some words (src/search); counted on the way
  const search = query.q ? resolveSearch(db, base, query.q) : null;
  const filter = search ? search.filter : base;
  // a query that finds nothing (only punctuation included) lists nothing rather than everything
  const emptySearch = search !== null && search.total === 0;
  return { consultation, unit, filter, emptySearch, search };
}

export function proposalList(db: Db, query: ListQuery) {
  const { consultation, unit, filter, emptySearch, search } = resolveFilter(db, query);
  const total = search ? search.total : countProposals(db, filter);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const page = Math.min(query.page ?? 1, pages);
  const slice = { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE };
  const ranked = search?.match === 'partial';
  const rows = emptySearch ? [] : ranked ? listRankedProposals(db, filter, slice) : listProposals(db, filter, slice);
  const ids = rows.map((r) => r.id);
  const unitMap = proposalUnitsFor(
    db,
    ids,
    perDataVersion(db, 'unitRefs', () => unitRefs(db)),
  );
  const outcomes = currentOutcomes(db, ids);
  const unitGroups = unit
    ? perDataVersion(db, `unitGroups:${unit.id}`, () => groupsOfUnit(db, unit.id).map((g) => g.id))
    : [];
  const tables = perDataVersion(db, `tables:${consultation.id}`, () => listWorkshopTables(db, consultation.id));
  const tableById = new Map(tables.map((t) => [t.id, t]));
  const items = rows.map((r) => {
    const units = unitMap.get(r.id)!;
    const table = r.workshopTableId === null ? undefined : tableById.get(r.workshopTableId);
    return {
      id: r.id,
      lp: r.lp,
      title: r.title,
      status: r.status,
      table,
      units,
      outcome: outcomes.get(r.id) ?? null,
      // with a unit filter: why this proposal is the unit's (assigned to it, named by the workshop, or both)
      unitMatch: unit ? unitRole(units, unit.id, unitGroups) : null,
    };
  });
  const groups: {
    number: number | null;
    theme: string;
    themeLegible: boolean;
    moderators: string[];
    items: typeof items;
  }[] = [];
  for (const item of items) {
    let g = groups[groups.length - 1];
    const number = item.table?.number ?? null;
    if (!g || g.number !== number) {
      g = {
        number,
        theme: item.table?.theme ?? '',
        themeLegible: item.table?.themeLegible ?? true,
        moderators: item.table?.moderators ?? [],
        items: [],
      };
      groups.push(g);
    }
    g.items.push(item);
  }
  return {
    consultation,
    consultations: perDataVersion(db, 'consultations', () => listConsultations(db)),
    unit,
    total,
    page,
    pages,
    groups,
    tables,
    units: perDataVersion(db, 'units', () => listUnits(db)),
    gaps: perDataVersion(db, `gaps:${consultation.id}`, () => listSourceGaps(db, consultation.id)),
    progress: progressOf(db, consultation.id),
    // partial matches, or the query as searched after correcting typos (views/proposals/_results.njk)
    search: search && { match: search.match, shownAs: search.shownAs },
  };
}

/** Ids of all matching proposals (no paging), in LP order (partial matches: best first); read in chunks. */
export function proposalIdsForExport(db: Db, query: ListQuery) {
  const { consultation, filter, emptySearch, search } = resolveFilter(db, query);
  const match = search?.match ?? 'full';
  const ids = emptySearch ? [] : match === 'partial' ? listRankedProposalIds(db, filter) : listProposalIds(db, filter);
  return { consultation, ids, match, shownAs: search?.shownAs ?? null };
}

/**
 * Makes this consultation the one the home page, the unit pages and the export show without
 * `?consultation=` (until then it is the first one imported; importing another changes nothing).
 */
export function setCurrentConsultation(db: Db, slug: string, actorId: number | null = null) {
  return db.transaction(
    (tx) => {
      const consultation = findConsultation(tx, slug);
      if (!consultation) throw new NotFound(`Nie ma konsultacji „${slug}”.`);
      const before = findConsultation(tx);
      setCurrentConsultationId(tx, consultation.id);
      recordAudit(tx, {
        actorId,
        action: 'consultation.made-current',
        subjectType: 'consultation',
        subjectId: consultation.id,
        subjectLabel: consultation.title,
        before: before ? { current: before.title } : null,
        after: { current: consultation.title },
      });
      bumpDataVersion(tx);
      return consultation;
    },
    { behavior: 'immediate' },
  );
}
