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
  TableRow,
  TextRun,
  WidthType,
} from 'docx';
import { TextWatermark } from 'docx/watermarks';
import { COLUMNS, type Report, sourceCaveats, statusLine } from './report.js';
import { generatedLine, headerFacts, reportTitle } from './xlsx.js';

export const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
export const DOCUMENT_LANGUAGE = 'pl-PL';

/** Column widths in fiftieths of a percent of the table's width (sum 5000). */
const COLUMN_PCT = [300, 600, 1200, 750, 650, 500, 1000];

/** A cell's text: one paragraph per line. */
function lines(text: string, run: { bold?: boolean } = {}): Paragraph[] {
  const parts = text === '' ? [''] : text.split('\n');
  return parts.map((line) => new Paragraph({ children: [new TextRun({ text: line, ...run })] }));
}

function cell(text: string, width: number, header = false) {
  return new TableCell({
    children: lines(text, header ? { bold: true } : {}),
    width: { size: width, type: WidthType.PERCENTAGE },
  });
}

function factsTable(facts: [string, string][]) {
  return new Table({
    width: { size: 100, type: WidthType.PERCENTAGE },
    rows: facts.map(
      ([k, v]) =>
        new TableRow({
          cantSplit: true,
          children: [
            new TableCell({ children: lines(k, { bold: true }), width: { size: 30, type: WidthType.PERCENTAGE } }),
            new TableCell({ children: lines(v), width: { size: 70, type: WidthType.PERCENTAGE } }),
          ],
        }),
    ),
  });
}

/** The report as a Word document: A4 landscape, Polish, real headings and tables, "PROJEKT" watermark on a draft. */
export async function renderDocx(r: Report): Promise<Buffer> {
  const pct = (n: number) => n / 50;
  const proposalsTable = new Table({
    width: { size: 100, type: WidthType.PERCENTAGE },
    rows: [
      new TableRow({
        tableHeader: true,
        cantSplit: true,
        children: COLUMNS.map((c, i) => cell(c, pct(COLUMN_PCT[i]!), true)),
      }),
      ...r.rows.map(
        (row) =>
          new TableRow({
            children: [
              String(row.lp),
              row.table,
              row.text,
              row.addressees,
              row.respondents,
              row.outcomeLabel,
              row.justification,
            ].map((text, i) => cell(text, pct(COLUMN_PCT[i]!))),
          }),
      ),
    ],
  });
  const countsTable = new Table({
    width: { size: 60, type: WidthType.PERCENTAGE },
    rows: [
      new TableRow({
        tableHeader: true,
        children: [cell('Sposób rozpatrzenia', 70, true), cell('Liczba propozycji', 30, true)],
      }),
      ...r.counts.map((c) => new TableRow({ children: [cell(c.label, 70), cell(String(c.count), 30)] })),
      new TableRow({ children: [cell('razem', 70, true), cell(String(r.proposalCount), 30, true)] }),
    ],
  });
  const notes = r.rows.filter((row) => row.sourceNotes.length || row.lpDeduced);
  const heading = (text: string, level: (typeof HeadingLevel)[keyof typeof HeadingLevel]) =>
    new Paragraph({ heading: level, children: [new TextRun(text)] });

  const doc = new Document({
    title: `${reportTitle(r)}: ${r.consultation.title}`,
    subject: r.consultation.title,
    creator: 'Konsultacje – Toruń',
    description: statusLine(r),
    styles: {
      default: {
        document: { run: { language: { value: DOCUMENT_LANGUAGE }, font: 'Calibri', size: 20 } },
      },
    },
    sections: [
      {
        properties: {
          page: {
            size: { orientation: PageOrientation.LANDSCAPE, width: 11906, height: 16838 },
            margin: { top: 1000, bottom: 1000, left: 1000, right: 1000 },
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
          new Paragraph({ children: [new TextRun({ text: statusLine(r), bold: r.draft })] }),
          heading('Informacje o konsultacjach', HeadingLevel.HEADING_1),
          factsTable(headerFacts(r)),
          ...(sourceCaveats(r).length
            ? [
                heading('Braki i nieczytelne miejsca w źródle', HeadingLevel.HEADING_2),
                ...sourceCaveats(r).flatMap((t) => lines(t)),
              ]
            : []),
          heading('Propozycje i sposób ich rozpatrzenia', HeadingLevel.HEADING_1),
          proposalsTable,
          heading('Podsumowanie według sposobu rozpatrzenia', HeadingLevel.HEADING_1),
          countsTable,
          ...(notes.length
            ? [
                heading('Uwagi do odczytu źródła', HeadingLevel.HEADING_2),
                ...notes.flatMap((row) =>
                  lines(
                    `LP ${row.lp}: ${[row.lpDeduced ? 'numer LP ustalony z kolejności' : '', ...row.sourceNotes]
                      .filter(Boolean)
                      .join('; ')}`,
                  ),
                ),
              ]
            : []),
          new Paragraph({ children: [new TextRun(generatedLine(r))] }),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}
