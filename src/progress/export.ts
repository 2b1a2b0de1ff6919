import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import { neutralizeFormula } from '../exports/records.js';
import { formatNumber, type OutcomeRow, type TableStats, type UnitStats } from './figures.js';

/** One exported table: its sheet name, column headers and rows (numbers stay numbers, null is empty). */
export type Sheet = {
  name: string;
  columns: { header: string; width: number; decimals?: boolean }[];
  rows: (string | number | null)[][];
};

export function outcomesSheet(rows: OutcomeRow[]): Sheet {
  return {
    name: 'Rozstrzygnięcia',
    columns: [
      { header: 'Stan propozycji', width: 48 },
      { header: 'Liczba propozycji', width: 18 },
      { header: 'Udział (%)', width: 12, decimals: true },
    ],
    rows: rows.map((r) => [r.label, r.n, r.percent]),
  };
}

export function unitsSheet(rows: UnitStats[]): Sheet {
  return {
    name: 'Jednostki',
    columns: [
      { header: 'Jednostka', width: 48 },
      { header: 'Przekazane propozycje', width: 14 },
      { header: 'Stanowiska złożone', width: 14 },
      { header: 'Czeka na stanowisko', width: 14 },
      { header: 'Po terminie', width: 12 },
      { header: 'Najdłużej po terminie (dni)', width: 16 },
      { header: 'Mediana dni do odpowiedzi', width: 16, decimals: true },
    ],
    rows: rows.map((u) => [u.name, u.assigned, u.submitted, u.awaiting, u.overdue, u.oldestOverdueDays, u.medianDays]),
  };
}

export function tablesSheet(rows: TableStats[]): Sheet {
  return {
    name: 'Stoliki',
    columns: [
      { header: 'Stolik', width: 8 },
      { header: 'Temat', width: 48 },
      { header: 'Propozycje', width: 12 },
      { header: 'Rozstrzygnięte', width: 14 },
      { header: 'W toku', width: 10 },
      { header: 'Nowe', width: 10 },
      { header: 'Duplikaty', width: 10 },
      { header: 'Rozstrzygnięte (%)', width: 12, decimals: true },
    ],
    rows: rows.map((t) => [
      t.number,
      t.theme || (t.themeLegible ? '' : 'temat nieczytelny w skanie'),
      t.total,
      t.decided,
      t.inProgress,
      t.fresh,
      t.duplicates,
      t.percentDecided,
    ]),
  };
}

const CSV_OPTIONS = { delimiter: ';', record_delimiter: '\r\n', quoted_match: /[\r\n]/ } as const;

/**
 * CSV for Polish Excel (BOM, `;`, decimal comma) in the open-data export's habits: a text cell that
 * would run as a formula gets a leading quote.
 */
export function sheetCsv(sheet: Sheet): string {
  const cells = sheet.rows.map((row) =>
    row.map((cell) => {
      if (cell === null) return '';
      if (typeof cell === 'number') return formatNumber(cell).replace(/\s/g, '');
      return neutralizeFormula(cell);
    }),
  );
  return `\ufeff${stringify([sheet.columns.map((c) => c.header), ...cells], CSV_OPTIONS)}`;
}

/** One workbook, a sheet per table, with bold frozen headers; strings are written as text, never formulas. */
export async function progressWorkbook(title: string, sheets: Sheet[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Konsultacje – Toruń';
  workbook.title = title;
  workbook.subject = 'Postęp konsultacji';
  // the document language (dc:language) helps screen readers; exceljs writes it but does not type it
  (workbook as ExcelJS.Workbook & { language: string }).language = 'pl-PL';
  for (const sheet of sheets) {
    const ws = workbook.addWorksheet(sheet.name, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = sheet.columns.map((c) => ({
      header: c.header,
      width: c.width,
      style: c.decimals ? { numFmt: '0.0' } : {},
    }));
    ws.getRow(1).font = { bold: true };
    ws.getRow(1).alignment = { wrapText: true, vertical: 'top' };
    for (const row of sheet.rows) ws.addRow(row.map((cell) => cell ?? null));
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
