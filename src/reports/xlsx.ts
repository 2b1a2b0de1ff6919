import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import {
  COLUMNS,
  generatedLine,
  headerFacts,
  type Report,
  reportTitle,
  signOffFacts,
  sourceCaveats,
  statusLine,
} from './report.js';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/**
 * The first row of the proposals table on the "Zestawienie" sheet. Above it, one short line each: the title, the
 * consultation, the status and the date of the data – a longer line would run past the table's last column, and
 * "fit to one page wide" would shrink the whole list to fit it.
 */
export const XLSX_TABLE_HEADER_ROW = 5;
/** The program named in the file's properties (exceljs would name "Microsoft Excel"). */
export const XLSX_APPLICATION = 'Konsultacje – Toruń';

/**
 * Column widths (in widths of a digit of the default font) of the proposals table. Their sum, 170, prints one page
 * wide on A4 landscape at about 80 %: readable, where the widths this replaced (283) printed at 47 %.
 */
const WIDTHS = [6, 15, 44, 26, 21, 17, 41];

/**
 * Every cell names its font: a style with only "bold" reads in LibreOffice as its default font, not this one.
 * Arial is on every office machine, and LibreOffice ships a metric-compatible one (Liberation Sans), so the
 * row heights below fit in Excel and in LibreOffice alike.
 */
const FONT_NAME = 'Arial';
const FONT_SIZE = 10;
const font = (extra: Partial<ExcelJS.Font> = {}): Partial<ExcelJS.Font> => ({
  name: FONT_NAME,
  size: FONT_SIZE,
  ...extra,
});
const BOLD = font({ bold: true });
const DRAFT_RED = { argb: 'FFA3131C' };

/**
 * Points per line of wrapped 10 pt Arial (LibreOffice and Excel set 11.5–12), and the characters a column of width
 * 1 holds – a little less than an average Polish text needs, so a row is rather a line too tall than too short.
 */
const LINE_HEIGHT = 12;
const CHARS_PER_WIDTH = 1.05;
/** Excel's limit for a row's height. */
const MAX_ROW_HEIGHT = 409;

/** How many lines a text takes in a column of this width, wrapped at spaces as a spreadsheet does. */
export function wrappedLines(text: string, width: number): number {
  const perLine = Math.max(1, Math.floor(width * CHARS_PER_WIDTH) - 1);
  let lines = 0;
  for (const paragraph of text.split('\n')) {
    lines++;
    let used = 0;
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (used > 0 && used + 1 + word.length <= perLine) {
        used += 1 + word.length;
        continue;
      }
      if (used > 0) lines++;
      // a word longer than a line is broken over as many lines as it needs
      lines += Math.ceil(word.length / perLine) - 1;
      used = word.length % perLine || perLine;
    }
  }
  return lines;
}

/**
 * Spreadsheets do not grow a row to its wrapped text when they open a file (LibreOffice keeps the default 15 pt,
 * so long texts overlap the rows below): each row gets the height of its tallest cell.
 */
function fitRowHeight(row: ExcelJS.Row, widths: number[]) {
  let lines = 1;
  row.eachCell((cell, col) => {
    const value = cell.value;
    if (typeof value === 'string') lines = Math.max(lines, wrappedLines(value, widths[col - 1] ?? 10));
  });
  row.height = Math.min(MAX_ROW_HEIGHT, Math.ceil(lines * LINE_HEIGHT + 3));
}

const PAGE_SETUP: Partial<ExcelJS.PageSetup> = {
  paperSize: 9,
  orientation: 'landscape',
  fitToPage: true,
  fitToWidth: 1,
  fitToHeight: 0,
  margins: { left: 0.4, right: 0.4, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 },
};

/** The report as an XLSX workbook: the proposals list (filterable), the information sheet and the counts. */
export async function renderXlsx(r: Report): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = XLSX_APPLICATION;
  wb.lastModifiedBy = XLSX_APPLICATION;
  wb.title = `${reportTitle(r)}: ${r.consultation.title}`;
  wb.subject = r.consultation.title;
  wb.description = statusLine(r);
  // exceljs writes it to docProps/core.xml (dc:language); the type does not declare it
  Object.assign(wb, { language: 'pl-PL', contentStatus: r.draft ? 'Projekt' : 'Ostateczny' });
  const headerFooter = {
    oddHeader: r.draft ? `&C&"${FONT_NAME},Bold"PROJEKT` : '',
    oddFooter: `&L&"${FONT_NAME},Regular"Zestawienie propozycji&R&"${FONT_NAME},Regular"Strona &P z &N`,
  };
  const cellStyle = (row: ExcelJS.Row, f: Partial<ExcelJS.Font>) => {
    row.font = f;
    row.alignment = { wrapText: true, vertical: 'top' };
  };

  // ---- the proposals, one row each, in the source's order ----
  const list = wb.addWorksheet('Zestawienie', {
    pageSetup: { ...PAGE_SETUP, printTitlesRow: `${XLSX_TABLE_HEADER_ROW}:${XLSX_TABLE_HEADER_ROW}` },
    headerFooter,
    views: [{ state: 'frozen', ySplit: XLSX_TABLE_HEADER_ROW }],
  });
  WIDTHS.forEach((w, i) => {
    list.getColumn(i + 1).width = w;
  });
  const lead: [string, Partial<ExcelJS.Font>][] = [
    [reportTitle(r), font({ bold: true, size: 14 })],
    [r.consultation.title, font()],
    [statusLine(r), r.draft ? font({ bold: true, color: DRAFT_RED }) : font()],
    [generatedLine(r), font()],
  ];
  lead.forEach(([text, f], i) => {
    const c = list.getCell(i + 1, 1);
    c.value = text;
    c.font = f;
  });
  list.getRow(1).height = 20;
  const header = list.getRow(XLSX_TABLE_HEADER_ROW);
  header.values = [...COLUMNS];
  cellStyle(header, BOLD);
  header.eachCell((cell) => {
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8E8E8' } };
    cell.border = { bottom: { style: 'medium' } };
  });
  fitRowHeight(header, WIDTHS);
  r.rows.forEach((row, i) => {
    const line = list.getRow(XLSX_TABLE_HEADER_ROW + 1 + i);
    line.values = [row.lp, row.table, row.text, row.addressees, row.respondents, row.outcomeLabel, row.justification];
    cellStyle(line, row.gap ? font({ italic: true }) : font());
    // centred, so the number does not run into the workshop table's number beside it
    line.getCell(1).alignment = { vertical: 'top', horizontal: 'center' };
    fitRowHeight(line, WIDTHS);
  });
  const last = XLSX_TABLE_HEADER_ROW + r.rows.length;
  list.autoFilter = { from: { row: XLSX_TABLE_HEADER_ROW, column: 1 }, to: { row: last, column: COLUMNS.length } };

  // ---- the header facts, the source's caveats and the sign-off ----
  const infoWidths = [40, 100];
  const info = wb.addWorksheet('Informacje', { pageSetup: PAGE_SETUP, headerFooter });
  infoWidths.forEach((w, i) => {
    info.getColumn(i + 1).width = w;
  });
  const infoRow = (values: (string | number)[], f: Partial<ExcelJS.Font> = font()) => {
    const row = info.addRow(values);
    cellStyle(row, f);
    fitRowHeight(row, infoWidths);
    return row;
  };
  // a title line runs on over the empty cell beside it rather than wrap inside the narrow label column
  const titleRow = (text: string, f: Partial<ExcelJS.Font>) => {
    const row = info.addRow([text]);
    row.font = f;
    row.height = Math.ceil(((f.size ?? FONT_SIZE) / FONT_SIZE) * LINE_HEIGHT + 6);
  };
  /** label–value rows under a header row ("Pole", "Wartość"), so each block reads as a table */
  const factRows = (title: string, facts: [string, string | number][]) => {
    info.addRow([]);
    titleRow(title, font({ bold: true, size: 12 }));
    infoRow(['Pole', 'Wartość'], BOLD);
    for (const [k, v] of facts) {
      // a count reads beside its label, not at the far edge of the wide value column
      infoRow([k, v]).getCell(2).alignment = { wrapText: true, vertical: 'top', horizontal: 'left' };
    }
  };
  titleRow(reportTitle(r), font({ bold: true, size: 14 }));
  titleRow(statusLine(r), r.draft ? font({ bold: true, color: DRAFT_RED }) : font());
  factRows('Informacje o konsultacjach', headerFacts(r));
  const caveats = sourceCaveats(r);
  if (caveats.length) {
    info.addRow([]);
    titleRow('Braki i nieczytelne miejsca w źródle', font({ bold: true, size: 12 }));
    for (const line of caveats) infoRow(['', line]);
  }
  factRows('Zatwierdzenie zestawienia', signOffFacts(r));
  info.addRow([]);
  titleRow(generatedLine(r), font());

  // ---- the counts per outcome ----
  const summary = wb.addWorksheet('Podsumowanie', { pageSetup: PAGE_SETUP, headerFooter });
  summary.getColumn(1).width = 50;
  summary.getColumn(2).width = 18;
  cellStyle(summary.addRow(['Sposób rozpatrzenia', 'Liczba propozycji']), BOLD);
  for (const c of r.counts) cellStyle(summary.addRow([c.label, c.count]), font());
  cellStyle(summary.addRow(['razem', r.proposalCount]), BOLD);

  // the list first: a link to the file opens on the answers
  wb.views = [{ x: 0, y: 0, width: 20000, height: 12000, firstSheet: 0, activeTab: 0, visibility: 'visible' }];
  const filterRange = `'${list.name}'!$A$${XLSX_TABLE_HEADER_ROW}:$${String.fromCharCode(64 + COLUMNS.length)}$${last}`;
  return finishFile(Buffer.from(await wb.xlsx.writeBuffer()), { sheetIndex: 0, range: filterRange });
}

/**
 * What exceljs cannot be told, set in the written file:
 * - the program named as the file's maker (exceljs always writes "Microsoft Excel");
 * - the workbook's default font (exceljs: Calibri 11). It is the unit of every column width: where Calibri is
 *   missing (LibreOffice on Linux without Carlito) a wider substitute widens every column and the list prints
 *   smaller. Arial 10, the font of every cell, keeps the widths the same everywhere;
 * - the autofilter's range as the hidden name `_xlnm._FilterDatabase`, which Excel writes beside every autofilter
 *   and LibreOffice needs to find it (without it LibreOffice opens the list with no filter).
 */
async function finishFile(xlsx: Buffer, filter: { sheetIndex: number; range: string }): Promise<Buffer> {
  const zip = await JSZip.loadAsync(xlsx);
  const rewrite = async (name: string, change: (xml: string) => string) => {
    const file = zip.file(name);
    if (file) zip.file(name, change(await file.async('string')));
  };
  await rewrite('docProps/app.xml', (xml) =>
    xml.replace(/<Application>[^<]*<\/Application>/, `<Application>${XLSX_APPLICATION}</Application>`),
  );
  const filterName = `<definedName name="_xlnm._FilterDatabase" localSheetId="${filter.sheetIndex}" hidden="1">${filter.range}</definedName>`;
  await rewrite('xl/workbook.xml', (xml) =>
    xml.includes('</definedNames>')
      ? xml.replace('</definedNames>', `${filterName}</definedNames>`)
      : xml.replace('<calcPr', `<definedNames>${filterName}</definedNames><calcPr`),
  );
  await rewrite('xl/styles.xml', (xml) =>
    xml.replace(
      /(<fonts\b[^>]*>)<font>[\s\S]*?<\/font>/,
      `$1<font><sz val="${FONT_SIZE}"/><name val="${FONT_NAME}"/><family val="2"/></font>`,
    ),
  );
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}
