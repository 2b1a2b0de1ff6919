import { eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../db/client.js';
import { consultations, proposals, proposalUnits, units, workshopTables } from '../db/schema/index.js';
import { proposalSearch } from '../db/search-table.js';
import { bumpDataVersion } from '../db/version.js';
import { foldForSearch, slugify } from '../lib/text.js';
import { ImportError, type ImportProblem, type ProposalRow, type UnitRow } from './format.js';

export type ImportReport = {
  consultation: string;
  created: number;
  updated: number;
  unchanged: number;
  unitsCreated: number;
  warnings: string[];
};

const CHUNK = 500;

/** Adds the directory's missing units; existing ones are left as admins edited them. */
export function importUnits(tx: DbOrTx, rows: UnitRow[]): number {
  const existing = new Set(tx.select({ name: units.name }).from(units).all().map((u) => u.name));
  const slugs = new Set(tx.select({ slug: units.slug }).from(units).all().map((u) => u.slug));
  const fresh = rows.filter((r) => !existing.has(r.name));
  for (const r of fresh) {
    let slug = slugify(r.name) || 'jednostka';
    for (let n = 2; slugs.has(slug); n++) slug = `${slugify(r.name)}-${n}`;
    slugs.add(slug);
    tx.insert(units).values({ name: r.name, slug, kind: r.kind, email: r.email }).run();
  }
  if (fresh.length) bumpDataVersion(tx);
  return fresh.length;
}

export function searchBody(p: { title: string; points: string[]; remarks: string[] }): string {
  return foldForSearch([p.title, ...p.points, ...p.remarks].join('\n'));
}

type Stored = {
  id: number; lp: number; lpDeduced: boolean; inSource: boolean; workshopTableId: number | null;
  title: string; points: string[]; remarks: string[]; sourceNotes: string[]; unitIds: number[];
};

/**
 * Imports one consultation's proposals in a single transaction, keyed by consultation + LP:
 * new LPs are created, changed ones updated in place, identical ones left untouched.
 */
export function importProposals(
  db: Db,
  consultation: { slug: string; title?: string },
  rows: ProposalRow[],
  unitRows: UnitRow[] = [],
  now: Date = new Date(),
): ImportReport {
  const stamp = now.toISOString();
  return db.transaction((tx) => {
    const unitsCreated = importUnits(tx, unitRows);

    const directory = new Map(tx.select({ id: units.id, name: units.name }).from(units).all().map((u) => [u.name, u.id]));
    const problems: ImportProblem[] = [];
    for (const row of rows)
      for (const name of row.units)
        if (!directory.has(name)) problems.push({ line: row.line, column: 'units', message: `nieznana jednostka „${name}” (nie ma jej w katalogu jednostek)` });
    if (problems.length) throw new ImportError(problems.slice(0, 50));

    let c = tx.select().from(consultations).where(eq(consultations.slug, consultation.slug)).get();
    if (!c) {
      c = tx.insert(consultations)
        .values({ slug: consultation.slug, title: consultation.title ?? consultation.slug, createdAt: stamp })
        .returning().get();
    } else if (consultation.title && consultation.title !== c.title) {
      tx.update(consultations).set({ title: consultation.title }).where(eq(consultations.id, c.id)).run();
    }
    const consultationId = c.id;

    // workshop tables: upsert by number
    const tableIds = new Map<number, number>();
    const storedTables = new Map(tx.select().from(workshopTables).where(eq(workshopTables.consultationId, consultationId)).all().map((t) => [t.number, t]));
    let changedAnything = false;
    for (const row of rows) {
      if (row.table_no === null || tableIds.has(row.table_no)) continue;
      const wanted = { theme: row.table_theme, themeLegible: row.table_theme_legible, moderators: row.moderators };
      const t = storedTables.get(row.table_no);
      if (!t) {
        const inserted = tx.insert(workshopTables).values({ consultationId, number: row.table_no, ...wanted }).returning({ id: workshopTables.id }).get();
        tableIds.set(row.table_no, inserted.id);
        changedAnything = true;
      } else {
        if (t.theme !== wanted.theme || t.themeLegible !== wanted.themeLegible || JSON.stringify(t.moderators) !== JSON.stringify(wanted.moderators)) {
          tx.update(workshopTables).set(wanted).where(eq(workshopTables.id, t.id)).run();
          changedAnything = true;
        }
        tableIds.set(row.table_no, t.id);
      }
    }

    const stored = new Map<number, Stored>();
    for (const p of tx.select({
      id: proposals.id, lp: proposals.lp, lpDeduced: proposals.lpDeduced, inSource: proposals.inSource,
      workshopTableId: proposals.workshopTableId, title: proposals.title, points: proposals.points,
      remarks: proposals.remarks, sourceNotes: proposals.sourceNotes,
    }).from(proposals).where(eq(proposals.consultationId, consultationId)).all()) stored.set(p.lp, { ...p, unitIds: [] });
    const byId = new Map([...stored.values()].map((p) => [p.id, p]));
    if (byId.size) {
      for (const link of tx.select().from(proposalUnits)
        .innerJoin(proposals, eq(proposals.id, proposalUnits.proposalId))
        .where(eq(proposals.consultationId, consultationId))
        .orderBy(proposalUnits.proposalId, proposalUnits.ordinal).all())
        byId.get(link.proposal_units.proposalId)?.unitIds.push(link.proposal_units.unitId);
    }

    let created = 0;
    let updated = 0;
    let unchanged = 0;
    const toInsert: { row: ProposalRow; values: typeof proposals.$inferInsert; unitIds: number[] }[] = [];
    for (const row of rows) {
      const values = {
        lpDeduced: row.lp_deduced, inSource: row.in_source,
        workshopTableId: row.table_no === null ? null : tableIds.get(row.table_no)!,
        title: row.title, points: row.points, remarks: row.remarks, sourceNotes: row.source_notes,
      };
      const unitIds = row.units.map((n) => directory.get(n)!);
      const old = stored.get(row.lp);
      if (!old) {
        toInsert.push({ row, unitIds, values: { ...values, consultationId, lp: row.lp, status: 'nowa', createdAt: stamp, updatedAt: stamp } });
        continue;
      }
      const same = old.lpDeduced === values.lpDeduced && old.inSource === values.inSource && old.workshopTableId === values.workshopTableId
        && old.title === values.title && JSON.stringify(old.points) === JSON.stringify(values.points)
        && JSON.stringify(old.remarks) === JSON.stringify(values.remarks) && JSON.stringify(old.sourceNotes) === JSON.stringify(values.sourceNotes)
        && JSON.stringify(old.unitIds) === JSON.stringify(unitIds);
      if (same) { unchanged++; continue; }
      updated++;
      tx.update(proposals).set({ ...values, updatedAt: stamp, version: sql`${proposals.version} + 1` }).where(eq(proposals.id, old.id)).run();
      tx.delete(proposalUnits).where(eq(proposalUnits.proposalId, old.id)).run();
      if (unitIds.length) tx.insert(proposalUnits).values(unitIds.map((unitId, ordinal) => ({ proposalId: old.id, unitId, ordinal }))).run();
      tx.delete(proposalSearch).where(eq(proposalSearch.rowid, old.id)).run();
      if (values.inSource) tx.insert(proposalSearch).values({ rowid: old.id, body: searchBody(values) }).run();
    }

    for (let i = 0; i < toInsert.length; i += CHUNK) {
      const chunk = toInsert.slice(i, i + CHUNK);
      const ids = tx.insert(proposals).values(chunk.map((c) => c.values)).returning({ id: proposals.id, lp: proposals.lp }).all();
      const idByLp = new Map(ids.map((r) => [r.lp, r.id]));
      const links = chunk.flatMap((c) => c.unitIds.map((unitId, ordinal) => ({ proposalId: idByLp.get(c.row.lp)!, unitId, ordinal })));
      for (let j = 0; j < links.length; j += CHUNK) tx.insert(proposalUnits).values(links.slice(j, j + CHUNK)).run();
      const bodies = chunk.filter((c) => c.row.in_source).map((c) => ({ rowid: idByLp.get(c.row.lp)!, body: searchBody(c.values as never) }));
      if (bodies.length) tx.insert(proposalSearch).values(bodies).run();
      created += chunk.length;
    }

    if (created || updated || changedAnything) bumpDataVersion(tx);

    const warnings: string[] = [];
    const deduced = rows.filter((r) => r.lp_deduced).map((r) => r.lp);
    if (deduced.length) warnings.push(`LP ustalone z kolejności i układu (nieczytelne w źródle): ${compactList(deduced)}`);
    const gaps = rows.filter((r) => !r.in_source).map((r) => r.lp);
    if (gaps.length) warnings.push(`Źródło nie pokazuje wierszy o LP: ${compactList(gaps)}`);
    const noUnit = rows.filter((r) => r.in_source && r.units.length === 0).map((r) => r.lp);
    if (noUnit.length) warnings.push(`Wiersze bez wskazanej jednostki: LP ${compactList(noUnit)}`);
    const illegible = [...new Map(rows.filter((r) => r.table_no !== null && !r.table_theme_legible).map((r) => [r.table_no, r])).values()];
    for (const r of illegible) warnings.push(`Stolik ${r.table_no}: temat ${r.table_theme ? `częściowo nieczytelny („${r.table_theme}”)` : 'nieczytelny'}`);
    const noModerators = [...new Set(rows.filter((r) => r.table_no !== null && (r.moderators.length === 0 || r.moderators.some((m) => m.includes('[…]')))).map((r) => r.table_no))];
    for (const n of noModerators) warnings.push(`Stolik ${n}: moderatorzy nieczytelni w całości lub w części`);
    const inFile = new Set(rows.map((r) => r.lp));
    const absent = [...stored.keys()].filter((lp) => !inFile.has(lp)).sort((a, b) => a - b);
    if (absent.length) warnings.push(`LP obecne w bazie, ale nie w pliku (pozostawione bez zmian): ${compactList(absent)}`);

    return { consultation: consultation.slug, created, updated, unchanged, unitsCreated, warnings };
  });
}

/** [1,2,3,5] → "1–3, 5" */
export function compactList(numbers: number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i]!;
    let end = start;
    while (sorted[i + 1] === end + 1) end = sorted[++i]!;
    parts.push(end > start + 1 ? `${start}–${end}` : end === start + 1 ? `${start}, ${end}` : String(start));
  }
  return parts.join(', ');
}

export function isDatabaseEmpty(db: Db): boolean {
  return !db.select({ id: consultations.id }).from(consultations).limit(1).get();
}
