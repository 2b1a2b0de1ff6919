import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { proposals, proposalUnits, units, workshopTables } from '../db/schema/index.js';
import { listColumns } from '../proposals/queries.js';

/*
 * The export reads its rows in chunks of a few hundred ids. Each query takes the chunk as one JSON
 * array (json_each) and is prepared once per connection: an IN list of 500 parameters would be a
 * new statement to compile for every chunk, which cost more than reading the rows.
 */

const ids = sql.placeholder('ids');
const inChunk = (column: typeof proposals.id | typeof proposalUnits.proposalId) =>
  sql`${column} IN (SELECT value FROM json_each(${ids}))`;

function prepareAll(db: Db) {
  return {
    rows: db
      .select(listColumns)
      .from(proposals)
      .leftJoin(workshopTables, eq(workshopTables.id, proposals.workshopTableId))
      .where(inChunk(proposals.id))
      .prepare(),
    units: db
      .select({ proposalId: proposalUnits.proposalId, name: units.name })
      .from(proposalUnits)
      .innerJoin(units, eq(units.id, proposalUnits.unitId))
      .where(inChunk(proposalUnits.proposalId))
      .orderBy(asc(proposalUnits.proposalId), asc(proposalUnits.ordinal))
      .prepare(),
  };
}

const prepared = new WeakMap<Db, ReturnType<typeof prepareAll>>();

function statements(db: Db) {
  let s = prepared.get(db);
  if (!s) {
    s = prepareAll(db);
    prepared.set(db, s);
  }
  return s;
}

function groupBy<T extends { proposalId: number }>(rows: T[]): Map<number, Omit<T, 'proposalId'>[]> {
  const out = new Map<number, Omit<T, 'proposalId'>[]>();
  for (const { proposalId, ...rest } of rows) {
    const list = out.get(proposalId) ?? [];
    list.push(rest);
    out.set(proposalId, list);
  }
  return out;
}

/** The proposals' rows and unit names for one chunk of the export, rows in the order of `chunk`. */
export function exportChunkRows(db: Db, chunk: number[]) {
  const s = statements(db);
  const param = { ids: JSON.stringify(chunk) };
  const byId = new Map(s.rows.all(param).map((r) => [r.id, r]));
  return { rows: chunk.flatMap((id) => byId.get(id) ?? []), unitNames: groupBy(s.units.all(param)) };
}
