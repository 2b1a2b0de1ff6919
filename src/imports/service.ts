import { eq, sql } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Db, DbOrTx } from '../db/client.js';
import {
  consultations,
  proposals,
  proposalUnits,
  unitGroupMembers,
  units,
  workshopTables,
} from '../db/schema/index.js';
import { proposalSearch } from '../db/search-table.js';
import { bumpDataVersion } from '../db/version.js';
import { foldForSearch, slugify } from '../lib/text.js';
import { takenUnitSlugs, uniqueSlug } from '../admin/service.js';
import { ImportError, type ImportProblem, type ProposalRow, type UnitRow } from './format.js';

export type ImportReport = {
  consultation: string;
  created: number;
  updated: number;
  unchanged: number;
  unitsCreated: number;
  warnings: string[];
};

/** Adds the directory's missing units; existing ones are left as admins edited them. */
export function importUnits(tx: DbOrTx, rows: UnitRow[]): number {
  const existing = new Set(
    tx
      .select({ name: units.name })
      .from(units)
      .all()
      .map((u) => u.name),
  );
  // a renamed unit's former slugs included: a unit the file still names by the old name gets a slug of its own
  const slugs = takenUnitSlugs(tx);
  const fresh = rows.filter((r) => !existing.has(r.name));
  for (const r of fresh) {
    const slug = uniqueSlug(slugify(r.name), slugs);
    slugs.add(slug);
    tx.insert(units).values({ name: r.name, slug, kind: r.kind, email: r.email }).run();
  }
  const seeded = seedGroupMembers(tx, rows);
  if (fresh.length || seeded) bumpDataVersion(tx);
  return fresh.length;
}

/**
 * Gives the file's groups their members (column `members`), but only a group that has none yet and is still a
 * group in the directory: members an admin chose, and a group an admin turned into a unit, are left as they are.
 * Returns how many groups were given members.
 */
export function seedGroupMembers(tx: DbOrTx, rows: UnitRow[]): number {
  const withMembers = rows.filter((r) => r.kind === 'grupa' && r.members.length);
  if (!withMembers.length) return 0;
  const directory = new Map(
    tx
      .select({ id: units.id, name: units.name, kind: units.kind })
      .from(units)
      .all()
      .map((u) => [u.name, u]),
  );
  const problems: ImportProblem[] = [];
  const plan: { groupId: number; memberIds: number[] }[] = [];
  for (const r of withMembers) {
    const group = directory.get(r.name);
    if (group?.kind !== 'grupa') continue;
    const memberIds: number[] = [];
    for (const name of r.members) {
      const member = directory.get(name);
      if (!member)
        problems.push({
          line: r.line,
          column: 'members',
          message: `nieznana jednostka „${name}” (nie ma jej w katalogu)`,
        });
      else if (member.kind === 'grupa')
        problems.push({ line: r.line, column: 'members', message: `„${name}” jest grupą, nie pojedynczą jednostką` });
      else memberIds.push(member.id);
    }
    plan.push({ groupId: group.id, memberIds });
  }
  if (problems.length) throw new ImportError(problems.slice(0, 50));
  let seeded = 0;
  for (const { groupId, memberIds } of plan) {
    const has = tx
      .select({ x: unitGroupMembers.unitId })
      .from(unitGroupMembers)
      .where(eq(unitGroupMembers.groupId, groupId))
      .limit(1)
      .all();
    if (has.length || !memberIds.length) continue;
    tx.insert(unitGroupMembers)
      .values(memberIds.map((unitId) => ({ groupId, unitId })))
      .run();
    seeded++;
  }
  return seeded;
}

export function searchBody(p: { title: string; points: string[]; remarks: string[] }): string {
  return foldForSearch([p.title, ...p.points, ...p.remarks].join('\n'));
}

type ProposalValues = {
  lpDeduced: boolean;
  inSource: boolean;
  workshopTableId: number | null;
  title: string;
  points: string[];
  remarks: string[];
  sourceNotes: string[];
};

type Stored = {
  id: number;
  lp: number;
  lpDeduced: boolean;
  inSource: boolean;
  workshopTableId: number | null;
  title: string;
  points: string[];
  remarks: string[];
  sourceNotes: string[];
  unitIds: number[];
};

/**
 * Imports one consultation's proposals in a single transaction, keyed by consultation + LP:
 * new LPs are created, changed ones updated in place, identical ones left untouched. The
 * transaction is BEGIN IMMEDIATE: it takes the write lock before reading what it compares against,
 * so a concurrent writer makes it wait (busy_timeout) or fail with SQLITE_BUSY before anything is
 * read or written, never halfway.
 */
export function importProposals(
  db: Db,
  consultation: { slug: string; title?: string },
  rows: ProposalRow[],
  unitRows: UnitRow[] = [],
  now: Date = new Date(),
): ImportReport {
  const stamp = now.toISOString();
  return db.transaction(
    (tx) => {
      const unitsCreated = importUnits(tx, unitRows);

      const directory = new Map(
        tx
          .select({ id: units.id, name: units.name })
          .from(units)
          .all()
          .map((u) => [u.name, u.id]),
      );
      const problems: ImportProblem[] = [];
      for (const row of rows)
        for (const name of row.units)
          if (!directory.has(name))
            problems.push({
              line: row.line,
              column: 'units',
              message: `nieznana jednostka „${name}” (nie ma jej w katalogu jednostek)`,
            });
      if (problems.length) throw new ImportError(problems.slice(0, 50));

      let c = tx.select().from(consultations).where(eq(consultations.slug, consultation.slug)).get();
      if (!c) {
        c = tx
          .insert(consultations)
          .values({ slug: consultation.slug, title: consultation.title ?? consultation.slug, createdAt: stamp })
          .returning()
          .get();
      } else if (consultation.title && consultation.title !== c.title) {
        tx.update(consultations).set({ title: consultation.title }).where(eq(consultations.id, c.id)).run();
      }
      const consultationId = c.id;

      // workshop tables: upsert by number
      const tableIds = new Map<number, number>();
      const storedTables = new Map(
        tx
          .select()
          .from(workshopTables)
          .where(eq(workshopTables.consultationId, consultationId))
          .all()
          .map((t) => [t.number, t]),
      );
      let changedAnything = false;
      for (const row of rows) {
        if (row.table_no === null || tableIds.has(row.table_no)) continue;
        const wanted = { theme: row.table_theme, themeLegible: row.table_theme_legible, moderators: row.moderators };
        const t = storedTables.get(row.table_no);
        if (!t) {
          const inserted = tx
            .insert(workshopTables)
            .values({ consultationId, number: row.table_no, ...wanted })
            .returning({ id: workshopTables.id })
            .get();
          tableIds.set(row.table_no, inserted.id);
          changedAnything = true;
        } else {
          if (
            t.theme !== wanted.theme ||
            t.themeLegible !== wanted.themeLegible ||
            JSON.stringify(t.moderators) !== JSON.stringify(wanted.moderators)
          ) {
            tx.update(workshopTables).set(wanted).where(eq(workshopTables.id, t.id)).run();
            changedAnything = true;
          }
          tableIds.set(row.table_no, t.id);
        }
      }

      const stored = new Map<number, Stored>();
      for (const p of tx
        .select({
          id: proposals.id,
          lp: proposals.lp,
          lpDeduced: proposals.lpDeduced,
          inSource: proposals.inSource,
          workshopTableId: proposals.workshopTableId,
          title: proposals.title,
          points: proposals.points,
          remarks: proposals.remarks,
          sourceNotes: proposals.sourceNotes,
        })
        .from(proposals)
        .where(eq(proposals.consultationId, consultationId))
        .all())
        stored.set(p.lp, { ...p, unitIds: [] });
      const byId = new Map([...stored.values()].map((p) => [p.id, p]));
      if (byId.size) {
        // only the link columns: selecting the joined proposal too would decode its JSON columns once per link
        for (const link of tx
          .select({ proposalId: proposalUnits.proposalId, unitId: proposalUnits.unitId })
          .from(proposalUnits)
          .innerJoin(proposals, eq(proposals.id, proposalUnits.proposalId))
          .where(eq(proposals.consultationId, consultationId))
          .orderBy(proposalUnits.proposalId, proposalUnits.ordinal)
          .all())
          byId.get(link.proposalId)?.unitIds.push(link.unitId);
      }

      // Row-by-row writes go through statements prepared once (drizzle placeholders): building a query
      // per row, or one 500-row multi-VALUES query per chunk, cost more than SQLite's work itself.
      const p = sql.placeholder;
      const insertProposal = tx
        .insert(proposals)
        .values({
          consultationId,
          lp: p('lp'),
          lpDeduced: p('lpDeduced'),
          inSource: p('inSource'),
          workshopTableId: p('workshopTableId'),
          title: p('title'),
          points: p('points'),
          remarks: p('remarks'),
          sourceNotes: p('sourceNotes'),
          status: 'nowa',
          createdAt: stamp,
          updatedAt: stamp,
        })
        .prepare(); // no RETURNING: interleaved with the FTS5 inserts it measured ~8× slower (100k rows: 3.6 s vs 0.45 s)
      // update's set() is typed without placeholders; a Param with the column as encoder is what it builds anyway
      const col = (column: AnySQLiteColumn, name: string) => sql`${sql.param(p(name), column)}`;
      const updateProposal = tx
        .update(proposals)
        .set({
          lpDeduced: col(proposals.lpDeduced, 'lpDeduced'),
          inSource: col(proposals.inSource, 'inSource'),
          workshopTableId: col(proposals.workshopTableId, 'workshopTableId'),
          title: col(proposals.title, 'title'),
          points: col(proposals.points, 'points'),
          remarks: col(proposals.remarks, 'remarks'),
          sourceNotes: col(proposals.sourceNotes, 'sourceNotes'),
          updatedAt: stamp,
          version: sql`${proposals.version} + 1`,
        })
        .where(eq(proposals.id, p('id')))
        .prepare();
      const insertLink = tx
        .insert(proposalUnits)
        .values({ proposalId: p('proposalId'), unitId: p('unitId'), ordinal: p('ordinal') })
        .prepare();
      const deleteLinks = tx
        .delete(proposalUnits)
        .where(eq(proposalUnits.proposalId, p('id')))
        .prepare();
      const insertSearch = tx
        .insert(proposalSearch)
        .values({ rowid: p('rowid'), body: p('body') })
        .prepare();
      const deleteSearch = tx
        .delete(proposalSearch)
        .where(eq(proposalSearch.rowid, p('id')))
        .prepare();
      const writeLinks = (proposalId: number, unitIds: number[]) => {
        for (const [ordinal, unitId] of unitIds.entries()) insertLink.run({ proposalId, unitId, ordinal });
      };

      let created = 0;
      let updated = 0;
      let unchanged = 0;
      const toInsert: { values: ProposalValues & { lp: number }; unitIds: number[] }[] = [];
      for (const row of rows) {
        const values: ProposalValues = {
          lpDeduced: row.lp_deduced,
          inSource: row.in_source,
          workshopTableId: row.table_no === null ? null : tableIds.get(row.table_no)!,
          title: row.title,
          points: row.points,
          remarks: row.remarks,
          sourceNotes: row.source_notes,
        };
        const unitIds = row.units.map((n) => directory.get(n)!);
        const old = stored.get(row.lp);
        if (!old) {
          toInsert.push({ unitIds, values: { ...values, lp: row.lp } });
          continue;
        }
        const same =
          old.lpDeduced === values.lpDeduced &&
          old.inSource === values.inSource &&
          old.workshopTableId === values.workshopTableId &&
          old.title === values.title &&
          JSON.stringify(old.points) === JSON.stringify(values.points) &&
          JSON.stringify(old.remarks) === JSON.stringify(values.remarks) &&
          JSON.stringify(old.sourceNotes) === JSON.stringify(values.sourceNotes) &&
          JSON.stringify(old.unitIds) === JSON.stringify(unitIds);
        if (same) {
          unchanged++;
          continue;
        }
        updated++;
        updateProposal.run({ ...values, id: old.id });
        deleteLinks.run({ id: old.id });
        writeLinks(old.id, unitIds);
        deleteSearch.run({ id: old.id });
        if (values.inSource) insertSearch.run({ rowid: old.id, body: searchBody(values) });
      }

      // new LPs last, in file order (so ids follow the file as before)
      for (const { values, unitIds } of toInsert) {
        const id = Number(insertProposal.run(values).lastInsertRowid);
        writeLinks(id, unitIds);
        if (values.inSource) insertSearch.run({ rowid: id, body: searchBody(values) });
        created++;
      }

      if (created || updated || changedAnything) bumpDataVersion(tx);

      const warnings: string[] = [];
      const deduced = rows.filter((r) => r.lp_deduced).map((r) => r.lp);
      if (deduced.length)
        warnings.push(`LP ustalone z kolejności i układu (nieczytelne w źródle): ${compactList(deduced)}`);
      const gaps = rows.filter((r) => !r.in_source).map((r) => r.lp);
      if (gaps.length) warnings.push(`Źródło nie pokazuje wierszy o LP: ${compactList(gaps)}`);
      const noUnit = rows.filter((r) => r.in_source && r.units.length === 0).map((r) => r.lp);
      if (noUnit.length) warnings.push(`Wiersze bez wskazanej jednostki: LP ${compactList(noUnit)}`);
      const illegible = [
        ...new Map(
          rows.filter((r) => r.table_no !== null && !r.table_theme_legible).map((r) => [r.table_no, r]),
        ).values(),
      ];
      for (const r of illegible)
        warnings.push(
          `Stolik ${r.table_no}: temat ${r.table_theme ? `częściowo nieczytelny („${r.table_theme}”)` : 'nieczytelny'}`,
        );
      const noModerators = [
        ...new Set(
          rows
            .filter(
              (r) => r.table_no !== null && (r.moderators.length === 0 || r.moderators.some((m) => m.includes('[…]'))),
            )
            .map((r) => r.table_no),
        ),
      ];
      for (const n of noModerators) warnings.push(`Stolik ${n}: moderatorzy nieczytelni w całości lub w części`);
      const inFile = new Set(rows.map((r) => r.lp));
      const absent = [...stored.keys()].filter((lp) => !inFile.has(lp)).sort((a, b) => a - b);
      if (absent.length)
        warnings.push(`LP obecne w bazie, ale nie w pliku (pozostawione bez zmian): ${compactList(absent)}`);

      return { consultation: consultation.slug, created, updated, unchanged, unitsCreated, warnings };
    },
    { behavior: 'immediate' },
  );
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
