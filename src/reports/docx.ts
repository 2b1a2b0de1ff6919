import {
  AlignmentType,
  Document,
  Footer,
  Header,
  HeadingLevel,
  Packer,
  PageNumber,
  PageOrientation,
  Paragraph,
  Table,
  TableCell,
  TableLayoutType,
  TableRow,
  TextRun,
  WidthType,
} from 'docx';
import { TextWatermark } from 'docx/watermarks';
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

export const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
export const DOCUMENT_LANGUAGE = 'pl-PL';
export const DOCX_FONT = 'Arial';

/** A4 in twentieths of a point (the report is landscape: the long side is its width), and the margins. */
const A4 = { short: 11906, long: 16838 };
const MARGIN = 1000;
const TEXT_WIDTH = A4.long - 2 * MARGIN;

/**
 * Column widths of the proposals table in twentieths of a point (sum: the text width). Given as the table's grid,
 * which LibreOffice reads (it ignores percentages per cell); "Sposób rozpatrzenia" holds "nieuwzględniona" and
 * "częściowo uwzględniona" on whole lines.
 */
const COLUMN_TWIPS = [700, 1500, 3700, 2100, 1900, 1900, 3038];

/** A cell's text: one paragraph per line. */
function lines(text: string, run: { bold?: boolean } = {}): Paragraph[] {
  const parts = text === '' ? [''] : text.split('\n');
  return parts.map((line) => new Paragraph({ children: [new TextRun({ text: line, font: DOCX_FONT, ...run })] }));
}

function cell(text: string, twips: number, header = false) {
  return new TableCell({
    children: lines(text, header ? { bold: true } : {}),
    width: { size: twips, type: WidthType.DXA },
  });
}

/**
 * A table whose first row is its header: repeated on every page and never split. Its body rows are not split
 * either (cantSplit), so a row's LP stays beside its text; a row taller than a page is still broken, by both
 * Word and LibreOffice.
 */
function table(header: string[], rows: string[][], widths: number[], options: { boldLast?: boolean } = {}) {
  return new Table({
    width: { size: widths.reduce((a, b) => a + b, 0), type: WidthType.DXA },
    columnWidths: widths,
    layout: TableLayoutType.FIXED,
    rows: [
      new TableRow({
        tableHeader: true,
        cantSplit: true,
        children: header.map((c, i) => cell(c, widths[i]!, true)),
      }),
      ...rows.map(
        (row, n) =>
          new TableRow({
            cantSplit: true,
            children: row.map((text, i) => cell(text, widths[i]!, options.boldLast && n === rows.length - 1)),
          }),
      ),
    ],
  });
}

/** Label–value pairs as a two-column table, labels in bold (a table of facts, not of data: no header row). */
function factsTable(facts: [string, string | number][]) {
  const widths = [Math.round(TEXT_WIDTH * 0.3), TEXT_WIDTH - Math.round(TEXT_WIDTH * 0.3)];
  return new Table({
    width: { size: TEXT_WIDTH, type: WidthType.DXA },
    columnWidths: widths,
    layout: TableLayoutType.FIXED,
    rows: facts.map(
      ([k, v]) =>
        new TableRow({
          cantSplit: true,
          children: [
            new TableCell({ children: lines(k, { bold: true }), width: { size: widths[0]!, type: WidthType.DXA } }),
            new TableCell({ children: lines(String(v)), width: { size: widths[1]!, type: WidthType.DXA } }),
          ],
        }),
    ),
  });
}

/**
 * The report as a Word document: A4 landscape, Polish, headings with outline levels (the navigator, a table of
 * contents and a PDF's bookmarks come from them), real tables with header rows, "PROJEKT" watermark on a draft.
 */
export async function renderDocx(r: Report): Promise<Buffer> {
  const proposalsTable = table(
    [...COLUMNS],
    r.rows.map((row) => [
      String(row.lp),
      row.table,
      row.text,
      row.addressees,
      row.respondents,
      row.outcomeLabel,
      row.justification,
    ]),
    COLUMN_TWIPS,
  );
  const countWidths = [Math.round(TEXT_WIDTH * 0.45), Math.round(TEXT_WIDTH * 0.15)];
  const countsTable = table(
    ['Sposób rozpatrzenia', 'Liczba propozycji'],
    [...r.counts.map((c) => [c.label, String(c.count)]), ['razem', String(r.proposalCount)]],
    countWidths,
    { boldLast: true },
  );
  const heading = (text: string, level: (typeof HeadingLevel)[keyof typeof HeadingLevel]) =>
    new Paragraph({ heading: level, keepNext: true, children: [new TextRun(text)] });
  const caveats = sourceCaveats(r);
  const headingStyle = (size: number, outlineLevel: number) => ({
    run: { font: DOCX_FONT, size, bold: true, color: '000000' },
    paragraph: { outlineLevel, keepNext: true, spacing: { before: 240, after: 120 } },
  });

  const doc = new Document({
    title: `${reportTitle(r)}: ${r.consultation.title}`,
    subject: r.consultation.title,
    creator: 'Konsultacje – Toruń',
    lastModifiedBy: 'Konsultacje – Toruń',
    description: statusLine(r),
    styles: {
      default: {
        document: { run: { language: { value: DOCUMENT_LANGUAGE }, font: DOCX_FONT, size: 20 } },
        // the title is the document's first bookmark; the sections are under it
        title: headingStyle(32, 0),
        heading1: headingStyle(26, 1),
        heading2: headingStyle(22, 2),
      },
    },
    sections: [
      {
        properties: {
          page: {
            // docx takes the portrait size and turns it
            size: { orientation: PageOrientation.LANDSCAPE, width: A4.short, height: A4.long },
            margin: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
          },
        },
        headers: {
          default: new Header({
            children: r.draft
              ? [new Paragraph({ children: [new TextWatermark({ text: 'PROJEKT' }), new TextRun('PROJEKT')] })]
              : [new Paragraph({ children: [new TextRun(r.consultation.title)] })],
          }),
        },
        footers: {
          default: new Footer({
            children: [
              new Paragraph({
                alignment: AlignmentType.RIGHT,
                children: [new TextRun({ children: ['Strona ', PageNumber.CURRENT, ' z ', PageNumber.TOTAL_PAGES] })],
              }),
            ],
          }),
        },
        children: [
          new Paragraph({ heading: HeadingLevel.TITLE, children: [new TextRun(reportTitle(r))] }),
          new Paragraph({ children: [new TextRun(r.consultation.title)] }),
          new Paragraph({ children: [new TextRun({ text: statusLine(r), bold: r.draft, font: DOCX_FONT })] }),
          new Paragraph({ children: [new TextRun(generatedLine(r))] }),
          heading('Informacje o konsultacjach', HeadingLevel.HEADING_1),
          factsTable(headerFacts(r)),
          ...(caveats.length
            ? [
                heading('Braki i nieczytelne miejsca w źródle', HeadingLevel.HEADING_2),
                ...caveats.flatMap((t) => lines(t)),
              ]
            : []),
          heading('Propozycje i sposób ich rozpatrzenia', HeadingLevel.HEADING_1),
          proposalsTable,
          heading('Podsumowanie według sposobu rozpatrzenia', HeadingLevel.HEADING_1),
          countsTable,
          heading('Zatwierdzenie zestawienia', HeadingLevel.HEADING_1),
          factsTable(signOffFacts(r)),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}
