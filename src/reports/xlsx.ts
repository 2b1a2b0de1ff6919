import ExcelJS from 'exceljs';
import { COLUMNS, NOT_FILLED, type Report, sourceCaveats, statusLine } from './report.js';
import { formatDatePl } from '../lib/dates.js';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** The first row of the proposals table on the "Zestawienie" sheet (above it: the title and the status line). */
export const XLSX_TABLE_HEADER_ROW = 4;

const WIDTHS = [7, 28, 60, 36, 30, 22, 60];

export function headerFacts(r: Report): [string, string][] {
  const opinions = r.opinions.length
    ? r.opinions
        .map((o) => `${formatDatePl(o.date)}: ${o.text}${o.attachmentName ? ` (załącznik: ${o.attachmentName})` : ''}`)
        .join('\n')
    : 'brak opinii w danych';
  return [
    ['Przedmiot konsultacji', r.consultation.title],
    ['Podstawa prawna', r.header.legalBasis || NOT_FILLED],
    ['Termin konsultacji', r.period],
    ['Forma konsultacji', r.header.form || NOT_FILLED],
    ['Gdzie ogłoszono', r.header.announcedIn || NOT_FILLED],
    ['Liczba propozycji', String(r.proposalCount)],
    ['Liczba stolików tematycznych', String(r.tableCount)],
    ['Rozpatrzone propozycje', `${r.decidedCount} z ${r.proposalCount}`],
    ['Opinia Rady Działalności Pożytku Publicznego', opinions],
    ['Uwagi o przebiegu konsultacji', r.header.remarks || 'brak'],
  ];
}

export function reportTitle(r: Report): string {
  return `${r.draft ? 'PROJEKT – ' : ''}Zestawienie propozycji i sposobu ich rozpatrzenia`;
}

export function generatedLine(r: Report): string {
  return `Wygenerowano ${r.generatedOn} z danych w wersji ${r.dataVersion}.`;
}

/** The report as an XLSX workbook: an information sheet, the table (a real Excel table) and the counts. */
export async function renderXlsx(r: Report): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Konsultacje – Toruń';
  wb.title = `${reportTitle(r)}: ${r.consultation.title}`;
  wb.subject = r.consultation.title;
  wb.description = statusLine(r);
  // exceljs writes it to docProps/core.xml (dc:language); the type does not declare it
  Object.assign(wb, { language: 'pl-PL', contentStatus: r.draft ? 'Projekt' : 'Ostateczny' });
  const draftHeader = r.draft ? '&C&"-,Bold"PROJEKT' : '';
  const pageSetup = { paperSize: 9, orientation: 'landscape' as const, fitToPage: true, fitToWidth: 1, fitToHeight: 0 };
  const footer = '&LZestawienie&RStrona &P z &N';
  const bold = { bold: true };

  const table = wb.addWorksheet('Zestawienie', {
    pageSetup: { ...pageSetup, printTitlesRow: `${XLSX_TABLE_HEADER_ROW}:${XLSX_TABLE_HEADER_ROW}` },
    headerFooter: { oddHeader: draftHeader, oddFooter: footer },
    views: [{ state: 'frozen', ySplit: XLSX_TABLE_HEADER_ROW }],
  });
  table.getCell('A1').value = `${reportTitle(r)}: ${r.consultation.title}`;
  table.getCell('A1').font = { bold: true, size: 14 };
  table.getCell('A2').value = `${statusLine(r)} ${generatedLine(r)}`;
  if (r.draft) table.getCell('A2').font = { bold: true, color: { argb: 'FFA3131C' } };
  WIDTHS.forEach((w, i) => {
    table.getColumn(i + 1).width = w;
  });
  table.addTable({
    name: 'Propozycje',
    ref: `A${XLSX_TABLE_HEADER_ROW}`,
    headerRow: true,
    style: { theme: 'TableStyleLight1', showRowStripes: true },
    columns: [...COLUMNS, 'Uwagi do odczytu źródła'].map((name) => ({ name })),
    rows: r.rows.map((row) => [
      row.lp,
      row.table,
      row.text,
      row.addressees,
      row.respondents,
      row.outcomeLabel,
      row.justification,
      [row.lpDeduced ? 'numer LP ustalony z kolejności' : '', ...row.sourceNotes].filter(Boolean).join('\n'),
    ]),
  });
  table.getColumn(8).width = 40;
  for (let i = XLSX_TABLE_HEADER_ROW; i <= XLSX_TABLE_HEADER_ROW + r.rows.length; i++) {
    table.getRow(i).alignment = { wrapText: true, vertical: 'top' };
  }

  const info = wb.addWorksheet('Informacje', {
    pageSetup,
    headerFooter: { oddHeader: draftHeader, oddFooter: footer },
  });
  info.getColumn(1).width = 40;
  info.getColumn(2).width = 100;
  info.addRow([reportTitle(r)]).font = { bold: true, size: 14 };
  info.addRow([statusLine(r)]).font = r.draft ? { bold: true, color: { argb: 'FFA3131C' } } : {};
  info.addRow([]);
  info.addRow(['Pole', 'Wartość']).font = bold;
  for (const [k, v] of headerFacts(r)) info.addRow([k, v]);
  info.addRow([]);
  info.addRow(['Uwagi do źródła']).font = bold;
  for (const line of sourceCaveats(r)) info.addRow([line]);
  info.addRow([]);
  info.addRow([generatedLine(r)]);
  info.eachRow((row) => {
    row.alignment = { wrapText: true, vertical: 'top' };
  });

  const summary = wb.addWorksheet('Podsumowanie', { pageSetup, headerFooter: { oddHeader: draftHeader } });
  summary.getColumn(1).width = 50;
  summary.getColumn(2).width = 18;
  summary.addRow(['Sposób rozpatrzenia', 'Liczba propozycji']).font = bold;
  for (const c of r.counts) summary.addRow([c.label, c.count]);
  summary.addRow(['razem', r.proposalCount]).font = bold;

  // the table first: a link to the file opens on the answers
  wb.views = [{ x: 0, y: 0, width: 20000, height: 12000, firstSheet: 0, activeTab: 0, visibility: 'visible' }];
  return Buffer.from(await wb.xlsx.writeBuffer());
}
