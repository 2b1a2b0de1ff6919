import ExcelJS from 'exceljs';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLUMNS } from '../../src/reports/report.js';
import { build, type App } from '../helpers.js';
import { allProposals, decideWithServices, readXlsx, staffAccounts } from './fixtures.js';
import {
  convertWithLibreOffice,
  median,
  pdfFonts,
  pdfInfo,
  pdfOutline,
  pdfText,
  pdfWords,
  type PdfWord,
  skipOfficeTests,
  tempDir,
} from './pdf.js';

/**
 * The XLSX and DOCX as LibreOffice (common in Polish offices) reads them: converted headless to PDF – what it shows
 * and prints – and the XLSX saved again by LibreOffice, read back. LibreOffice starts slowly: every file is
 * converted once, in beforeAll, and the tests read the results.
 */
describe.skipIf(skipOfficeTests)('the report files in LibreOffice', () => {
  let app: App;
  let dir: string;
  let xlsxPdf: string;
  let docxPdf: string;
  let xlsxAgain: string;
  /** the proposals table as the app wrote it: LP, text and justification of every row */
  let rows: string[][];
  // long rows (LP 25, 26, 67, 73) and short ones, "nieuwzględniona" (LP 2, 8, 14) among the outcomes
  const DECIDED = [1, 2, 3, 8, 14, 25, 26, 67, 73];

  beforeAll(async () => {
    app = await build();
    const staff = await staffAccounts(app);
    for (const p of allProposals(app).filter((x) => DECIDED.includes(x.lp))) decideWithServices(app, p.id, p.lp, staff);
    dir = tempDir('raport-lo-');
    const xlsx = path.join(dir, 'arkusz.xlsx');
    const docx = path.join(dir, 'dokument.docx');
    const xlsxBody = (await app.inject('/raport.xlsx')).rawPayload;
    fs.writeFileSync(xlsx, xlsxBody);
    fs.writeFileSync(docx, (await app.inject('/raport.docx')).rawPayload);
    rows = (await readXlsx(xlsxBody)).rows;
    const pdfs = await convertWithLibreOffice([xlsx, docx], 'pdf', dir);
    xlsxPdf = pdfs[0]!;
    docxPdf = pdfs[1]!;
    fs.mkdirSync(path.join(dir, 'lo'));
    xlsxAgain = (await convertWithLibreOffice([xlsx], 'xlsx:Calc MS Excel 2007 XML', path.join(dir, 'lo')))[0]!;
  });
  afterAll(async () => {
    await app?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const lastWord = (text: string) => text.trim().split(/\s+/).at(-1)!;
  const on = (words: PdfWord[], page: number) => words.filter((w) => w.page === page);

  /** The pages of the proposals list (they start with the column headings) and the LP column's numbers, top down. */
  async function listPages(pdf: string) {
    const words = await pdfWords(pdf);
    const pages = [...new Set(words.map((w) => w.page))].sort((a, b) => a - b);
    return pages.flatMap((page) => {
      const mine = on(words, page);
      const lp = mine.find((w) => w.text === 'Lp.');
      const next = mine.find((w) => w.text === 'Stolik' && lp && Math.abs(w.yMin - lp.yMin) < 2);
      if (!lp || !next) return [];
      const footer = mine.find((w) => w.text === 'Strona' && w.yMin > 500);
      const bottom = footer?.yMin ?? 595;
      // below the headings' first line (the headings themselves take up to three lines)
      const body = mine.filter((w) => w.yMin > lp.yMax && w.yMax < bottom);
      const labels = body.filter((w) => /^\d+$/.test(w.text) && w.xMax < next.xMin).sort((a, b) => a.yMin - b.yMin);
      return [{ page, words: mine, body, labels, bottom }];
    });
  }

  it('XLSX: every LP once, in order, on pages that each repeat the column headings', async () => {
    const pages = await listPages(xlsxPdf);
    expect(pages.length).toBeGreaterThan(3);
    expect(pages.flatMap((p) => p.labels.map((l) => Number(l.text)))).toEqual(allProposals(app).map((p) => p.lp));
    const text = await pdfText(xlsxPdf);
    expect(text).toContain('nieuwzględniona');
    expect(text).not.toContain('Total');
    expect(text).not.toContain('OCR');
  });

  it('XLSX: each row is as tall as its wrapped text – nothing runs into the next row', async () => {
    const pages = await listPages(xlsxPdf);
    const heading = pages[0]!.words.find((w) => w.text === 'Treść')!;
    const addressees = pages[0]!.words.find((w) => w.text === 'Adresaci')!;
    let checked = 0;
    for (const p of pages) {
      p.labels.forEach((label, i) => {
        const row = rows.find((r) => r[0] === label.text)!;
        const top = label.yMin - 1;
        const bottom = (p.labels[i + 1]?.yMin ?? p.bottom) + 1;
        // the last word of the proposal's text is inside its own row, in its own column
        const word = lastWord(row[2]!);
        const found = p.body.filter(
          (w) => w.text === word && w.xMin >= heading.xMin - 2 && w.xMax <= addressees.xMin && w.yMin >= top,
        );
        expect(found.length, `LP ${label.text}: "${word}" on page ${p.page}`).toBeGreaterThan(0);
        expect(Math.min(...found.map((w) => w.yMax)), `LP ${label.text}: "${word}" below its row`).toBeLessThanOrEqual(
          bottom,
        );
        checked++;
      });
    }
    expect(checked).toBe(73);
  });

  it('XLSX: the list prints one page wide at a readable size, every text in Arial (or its metric twin)', async () => {
    const pages = await listPages(xlsxPdf);
    const info = await pdfInfo(xlsxPdf);
    expect([Math.round(info.width), Math.round(info.height)]).toEqual([842, 595]);
    // the 10 pt text, printed at scale s, is 10 × 1.12 × s points tall: at least 80 % of its size
    const heights = pages.flatMap((p) => p.body.map((w) => w.yMax - w.yMin));
    expect(median(heights)).toBeGreaterThanOrEqual(0.8 * 11.2);
    // all seven columns on each page: the last heading is there too
    for (const p of pages) expect(p.words.some((w) => w.text === 'wykorzystania')).toBe(true);
    const fonts = await pdfFonts(xlsxPdf);
    expect(fonts.length).toBeGreaterThan(1);
    for (const f of fonts) expect(f).toMatch(/^(Arial|LiberationSans)/);
    expect(fonts.some((f) => /Bold/.test(f))).toBe(true);
  });

  it('XLSX saved again by LibreOffice: numbers stay numbers, the autofilter and the row heights stay', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlsxAgain);
    const sheet = wb.getWorksheet('Zestawienie')!;
    expect(sheet.autoFilter).toBe('A5:G78');
    for (let n = 6; n <= 78; n++) expect(sheet.getRow(n).getCell(1).type, `row ${n}`).toBe(ExcelJS.ValueType.Number);
    const lp25 = sheet.getRow(6 + rows.findIndex((r) => r[0] === '25'));
    expect(lp25.height).toBeGreaterThan(100);
    const summary = wb.getWorksheet('Podsumowanie')!;
    expect(summary.getRow(summary.rowCount).getCell(2).type).toBe(ExcelJS.ValueType.Number);
  });

  it('DOCX: the headings are the PDF’s bookmarks', async () => {
    const outline = await pdfOutline(docxPdf);
    expect(outline.map((i) => i.title)).toEqual(['PROJEKT – Zestawienie propozycji i sposobu ich rozpatrzenia']);
    const sections = outline[0]!.children;
    expect(sections.map((i) => i.title)).toEqual([
      'Informacje o konsultacjach',
      'Propozycje i sposób ich rozpatrzenia',
      'Podsumowanie według sposobu rozpatrzenia',
      'Zatwierdzenie zestawienia',
    ]);
    expect(sections[0]!.children.map((i) => i.title)).toEqual(['Braki i nieczytelne miejsca w źródle']);
    const info = await pdfInfo(docxPdf);
    expect([Math.round(info.width), Math.round(info.height)]).toEqual([842, 595]);
    expect(sections.at(-1)!.page).toBeLessThanOrEqual(info.pages);
  });

  it('DOCX: "nieuwzględniona" fits its column; a page of the table never starts with the rest of a row', async () => {
    const words = await pdfWords(docxPdf);
    // every row decided so, and the line of the summary: each the whole word, never "nieuwzględnio" + "na"
    const decidedSo = rows.filter((r) => r[5] === 'nieuwzględniona').length;
    expect(decidedSo).toBeGreaterThanOrEqual(3);
    expect(words.filter((w) => w.text.startsWith('nieuwzględnio')).map((w) => w.text)).toEqual(
      Array(decidedSo + 1).fill('nieuwzględniona'),
    );
    const pages = await listPages(docxPdf);
    expect(pages.length).toBeGreaterThan(3);
    expect(pages.flatMap((p) => p.labels.map((l) => Number(l.text)))).toEqual(allProposals(app).map((p) => p.lp));
    // above a page's first LP there are only the repeated headings, not the rest of a row begun on the page before
    const headingWords = new Set(COLUMNS.flatMap((c) => c.split(/\s+/)));
    for (const p of pages) {
      const above = p.body.filter((w) => w.yMax < p.labels[0]!.yMin - 1).map((w) => w.text);
      expect(
        above.filter((t) => !headingWords.has(t)),
        `page ${p.page}`,
      ).toEqual([]);
    }
  });
});
