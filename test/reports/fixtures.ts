import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { OUTCOMES, type Outcome } from '../../src/db/schema/workflow.js';
import { publishDecision } from '../../src/decisions/service.js';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { savePosition } from '../../src/positions/service.js';
import { XLSX_TABLE_HEADER_ROW } from '../../src/reports/xlsx.js';
import { assignUnits } from '../../src/triage/service.js';
import { type App, createUser, unitIdByName } from '../helpers.js';

export const UNIT = 'Biuro Dialogu i Innowacji Miejskich';

/** The decision text the fixtures publish for an LP: Polish letters, a line break and XML-special characters. */
export const decisionText = (lp: number) =>
  `Sposób wykorzystania LP ${lp}: „zadanie” <w programie> & harmonogram.\nDrugi akapit.`;
export const outcomeFor = (lp: number): Outcome => OUTCOMES[lp % OUTCOMES.length]!;

const row = <T>(app: App, sql: string, ...args: unknown[]) => app.database.sqlite.prepare(sql).get(...args) as T;

/** Publishes a decision on one proposal through the services: assign, the unit's position, the decision. */
export function decideWithServices(
  app: App,
  proposalId: number,
  lp: number,
  staff: { adminId: number; unitUserId: number },
) {
  const db = app.database.db;
  const unitId = unitIdByName(app, UNIT);
  const version = () => row<{ version: number }>(app, 'SELECT version FROM proposals WHERE id = ?', proposalId).version;
  const dueDate = todayInWarsaw(new Date(Date.now() + 30 * 86_400_000));
  assignUnits(db, proposalId, { version: version(), unitIds: [unitId], dueDate }, staff.adminId);
  const actor = { id: staff.unitUserId, email: 'biuro@t.test', name: '', role: 'unit' as const, unitIds: [unitId] };
  const outcome = outcomeFor(lp);
  savePosition(
    db,
    proposalId,
    { unitId, positionVersion: 0, action: 'submit', outcome, justification: 'Stanowisko.' },
    actor,
  );
  const positionId = row<{ id: number }>(app, 'SELECT id FROM positions WHERE proposal_id = ?', proposalId).id;
  publishDecision(
    db,
    proposalId,
    { version: version(), outcome, text: decisionText(lp), citedPositionIds: [positionId] },
    staff.adminId,
  );
}

export async function staffAccounts(app: App) {
  return {
    adminId: await createUser(app, 'admin@t.test', 'admin'),
    unitUserId: await createUser(app, 'biuro@t.test', 'unit', [UNIT]),
  };
}

/** Proposals of the Toruń consultation in LP order: id, lp, whether the source has the row. */
export function allProposals(app: App) {
  return app.database.sqlite
    .prepare('SELECT id, lp, in_source AS inSource, title FROM proposals ORDER BY lp')
    .all() as { id: number; lp: number; inSource: number; title: string }[];
}

const cellText = (v: ExcelJS.CellValue): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object' && 'richText' in v) return v.richText.map((t) => t.text).join('');
  return String(v);
};

/** Reads the XLSX back with exceljs: the table rows of "Zestawienie" as arrays of cell texts, and the workbook. */
export async function readXlsx(body: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as unknown as ArrayBuffer);
  const sheet = wb.getWorksheet('Zestawienie')!;
  const rows: string[][] = [];
  sheet.eachRow((r, n) => {
    if (n < XLSX_TABLE_HEADER_ROW) return;
    rows.push(Array.from({ length: 8 }, (_, i) => cellText(r.getCell(i + 1).value)));
  });
  return { wb, sheet, header: rows[0]!, rows: rows.slice(1) };
}

/** The text of XML character data: its five predefined entities decoded. */
export const decodeXml = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** Unzips a DOCX and reads word/document.xml: every table as rows of cells (cell: its paragraphs joined by "\n"). */
export async function readDocx(body: Buffer) {
  const zip = await JSZip.loadAsync(body);
  const documentXml = await zip.file('word/document.xml')!.async('string');
  const stylesXml = await zip.file('word/styles.xml')!.async('string');
  const headers = await Promise.all(
    Object.keys(zip.files)
      .filter((n) => /^word\/header\d*\.xml$/.test(n))
      .map((n) => zip.file(n)!.async('string')),
  );
  const paragraphText = (p: string) =>
    [...p.matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)].map((m) => decodeXml(m[1]!)).join('');
  const tables = [...documentXml.matchAll(/<w:tbl>([\s\S]*?)<\/w:tbl>/g)].map((t) =>
    [...t[1]!.matchAll(/<w:tr(?:\s[^>]*)?>([\s\S]*?)<\/w:tr>/g)].map((tr) => ({
      header: /<w:tblHeader\s*\/>/.test(tr[1]!),
      cells: [...tr[1]!.matchAll(/<w:tc>([\s\S]*?)<\/w:tc>/g)].map((tc) =>
        [...tc[1]!.matchAll(/<w:p(?:\s[^>]*)?>([\s\S]*?)<\/w:p>/g)].map((p) => paragraphText(p[1]!)).join('\n'),
      ),
    })),
  );
  return { documentXml, stylesXml, headers, tables };
}
