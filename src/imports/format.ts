import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { UNIT_KINDS } from '../db/schema/units.js';

/** One problem in an input file, located by CSV line and column. */
export type ImportProblem = { line?: number; column?: string; message: string };

export class ImportError extends Error {
  constructor(
    readonly problems: ImportProblem[],
    readonly file?: string,
  ) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(p: ImportProblem): string {
  const where = [p.line !== undefined ? `wiersz ${p.line}` : null, p.column ? `kolumna „${p.column}”` : null]
    .filter(Boolean)
    .join(', ');
  return where ? `${where}: ${p.message}` : p.message;
}

export const PROPOSAL_COLUMNS = [
  'lp',
  'lp_deduced',
  'in_source',
  'table_no',
  'table_theme',
  'table_theme_legible',
  'moderators',
  'title',
  'points',
  'units',
  'remarks',
  'source_notes',
] as const;
export const UNIT_COLUMNS = ['name', 'kind', 'email'] as const;
/** Optional column of the unit file: a group's member units (seeded only into a group that has none yet). */
export const UNIT_MEMBERS_COLUMN = 'members';

const MAX_ERRORS = 50;

const yesNo = (column: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['tak', 'nie'], { error: `oczekiwano „tak” albo „nie” w kolumnie ${column}` }))
    .transform((v) => v === 'tak');

const list = (separator: string | RegExp) =>
  z.string().transform((v) =>
    v
      .split(separator)
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

const boundedList = (separator: string | RegExp, maxItem: number, maxItems: number) =>
  list(separator).pipe(
    z
      .array(z.string().max(maxItem, `element dłuższy niż ${maxItem} znaków`))
      .max(maxItems, `więcej niż ${maxItems} elementów`),
  );

export const proposalRowSchema = z
  .object({
    lp: z
      .string()
      .trim()
      .regex(/^\d{1,6}$/, 'LP musi być liczbą całkowitą dodatnią')
      .transform(Number)
      .pipe(z.number().int().min(1, 'LP musi być większe od zera')),
    lp_deduced: yesNo('lp_deduced'),
    in_source: yesNo('in_source'),
    table_no: z
      .string()
      .trim()
      .regex(/^(\d{1,4})?$/, 'numer stolika musi być liczbą całkowitą')
      .transform((v) => (v === '' ? null : Number(v))),
    table_theme: z.string().trim().max(300, 'temat stolika dłuższy niż 300 znaków'),
    // empty only on rows the source lacks (no table at all)
    table_theme_legible: z
      .string()
      .transform((v) => (v.trim() === '' ? 'tak' : v))
      .pipe(yesNo('table_theme_legible')),
    moderators: boundedList('|', 300, 10),
    title: z.string().trim().max(2000, 'tytuł dłuższy niż 2000 znaków'),
    points: boundedList(/\r?\n/, 2000, 100),
    units: boundedList('|', 300, 50),
    remarks: boundedList('|', 2000, 20),
    source_notes: boundedList('|', 2000, 20),
  })
  .superRefine((row, ctx) => {
    if (row.in_source) {
      if (!row.title) ctx.addIssue({ code: 'custom', path: ['title'], message: 'brak tekstu propozycji' });
      if (row.table_no === null) ctx.addIssue({ code: 'custom', path: ['table_no'], message: 'brak numeru stolika' });
    } else {
      if (row.title || row.points.length || row.units.length || row.remarks.length)
        ctx.addIssue({
          code: 'custom',
          path: ['title'],
          message: 'wiersz oznaczony in_source=nie nie może mieć treści, jednostek ani uwag',
        });
      if (!row.source_notes.length)
        ctx.addIssue({
          code: 'custom',
          path: ['source_notes'],
          message: 'wiersz nieobecny w źródle wymaga notatki wyjaśniającej',
        });
    }
    if (new Set(row.units).size !== row.units.length)
      ctx.addIssue({ code: 'custom', path: ['units'], message: 'ta sama jednostka wymieniona dwa razy' });
  });
export type ProposalRow = z.infer<typeof proposalRowSchema> & { line: number };

export const unitRowSchema = z.object({
  name: z.string().trim().min(1, 'brak nazwy jednostki').max(300, 'nazwa dłuższa niż 300 znaków'),
  kind: z
    .string()
    .trim()
    .pipe(z.enum(UNIT_KINDS, { error: `rodzaj musi być jednym z: ${UNIT_KINDS.join(', ')}` })),
  email: z.union([z.literal(''), z.email('nieprawidłowy adres e-mail')]).default(''),
  [UNIT_MEMBERS_COLUMN]: boundedList('|', 300, 50).default([]),
});
export type UnitRow = z.infer<typeof unitRowSchema> & { line: number };

/** Decodes strict UTF-8 (BOM allowed) and parses CSV with a header; every record keeps its line. */
export function parseCsv(
  buffer: Buffer,
  required: readonly string[],
): { records: Record<string, string>[]; lines: number[] } {
  if (
    buffer.length === 0 ||
    buffer
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trim() === ''
  )
    throw new ImportError([{ message: 'plik jest pusty' }]);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    const offset = firstInvalidUtf8Offset(buffer);
    const line = buffer.subarray(0, offset).toString('latin1').split('\n').length;
    throw new ImportError([{ line, message: 'plik nie jest zapisany w kodowaniu UTF-8 (zapisz go jako „CSV UTF-8”)' }]);
  }
  text = text.replace(/^\uFEFF/, '');
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parse(text, {
      columns: true,
      info: true,
      skip_empty_lines: true,
      relax_column_count: false,
      trim: false,
    }) as never;
  } catch (err) {
    const e = err as { lines?: number; message: string };
    throw new ImportError([{ line: e.lines, message: `błąd składni CSV: ${e.message}` }]);
  }
  const header = text.split(/\r?\n/, 1)[0] ?? '';
  const present = new Set(parse(header, { to_line: 1 })[0] as string[]);
  const missing = required.filter((c) => !present.has(c));
  if (missing.length)
    throw new ImportError(missing.map((c) => ({ line: 1, column: c, message: 'brak wymaganej kolumny w nagłówku' })));
  if (rows.length === 0) throw new ImportError([{ message: 'plik ma nagłówek, ale nie ma żadnego wiersza danych' }]);
  return { records: rows.map((r) => r.record), lines: rows.map((r) => r.info.lines) };
}

function firstInvalidUtf8Offset(buffer: Buffer): number {
  let lo = 0;
  let hi = buffer.length;
  const ok = (n: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function collect<T>(
  records: Record<string, string>[],
  lines: number[],
  schema: z.ZodType<T>,
): (T & { line: number })[] {
  const problems: ImportProblem[] = [];
  const out: (T & { line: number })[] = [];
  records.forEach((record, i) => {
    const line = lines[i] ?? i + 2;
    const result = schema.safeParse(record);
    if (result.success) out.push({ ...result.data, line });
    else
      for (const issue of result.error.issues)
        problems.push({ line, column: issue.path.map(String).join('.') || undefined, message: issue.message });
  });
  if (problems.length) throw new ImportError(problems.slice(0, MAX_ERRORS));
  return out;
}

export function parseProposalFile(buffer: Buffer): ProposalRow[] {
  const { records, lines } = parseCsv(buffer, PROPOSAL_COLUMNS);
  const rows = collect(records, lines, proposalRowSchema);
  const problems: ImportProblem[] = [];
  const seen = new Map<number, number>();
  const tables = new Map<number, { theme: string; moderators: string; line: number }>();
  for (const row of rows) {
    const first = seen.get(row.lp);
    if (first !== undefined)
      problems.push({
        line: row.line,
        column: 'lp',
        message: `LP ${row.lp} powtarza się (pierwszy raz w wierszu ${first})`,
      });
    else seen.set(row.lp, row.line);
    if (row.table_no !== null) {
      const t = tables.get(row.table_no);
      const signature = { theme: row.table_theme, moderators: row.moderators.join('|'), line: row.line };
      if (!t) tables.set(row.table_no, signature);
      else if (t.theme !== signature.theme || t.moderators !== signature.moderators)
        problems.push({
          line: row.line,
          column: 'table_theme',
          message: `stolik ${row.table_no} ma inny temat lub moderatorów niż w wierszu ${t.line}`,
        });
    }
  }
  if (problems.length) throw new ImportError(problems.slice(0, MAX_ERRORS));
  return rows;
}

export function parseUnitFile(buffer: Buffer): UnitRow[] {
  const { records, lines } = parseCsv(buffer, UNIT_COLUMNS);
  const rows = collect(records, lines, unitRowSchema);
  const problems: ImportProblem[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const first = seen.get(row.name);
    if (first !== undefined)
      problems.push({
        line: row.line,
        column: 'name',
        message: `jednostka „${row.name}” powtarza się (pierwszy raz w wierszu ${first})`,
      });
    else seen.set(row.name, row.line);
  }
  const kinds = new Map(rows.map((r) => [r.name, r.kind]));
  for (const row of rows) {
    if (!row.members.length) continue;
    const problem = (message: string) => problems.push({ line: row.line, column: UNIT_MEMBERS_COLUMN, message });
    if (row.kind !== 'grupa') problem('członków może mieć tylko grupa jednostek (rodzaj „grupa”)');
    if (new Set(row.members).size !== row.members.length) problem('ta sama jednostka wymieniona dwa razy');
    for (const name of row.members) {
      // a member named only here is looked up in the database's directory when importing
      if (kinds.get(name) === 'grupa') problem(`„${name}” jest grupą: grupa może zawierać tylko pojedyncze jednostki`);
    }
  }
  if (problems.length) throw new ImportError(problems);
  return rows;
}
