import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type App } from '../helpers.js';
import { allProposals, decideWithServices, readDocx, readXlsx, staffAccounts } from './fixtures.js';

/** Every text the workbook holds, sheet by sheet and cell by cell. */
function workbookTexts(wb: ExcelJS.Workbook): string[] {
  const texts: string[] = [];
  wb.eachSheet((sheet) => {
    sheet.eachRow((row) => {
      row.eachCell((cell) => {
        texts.push(String(cell.text));
      });
    });
  });
  return texts;
}

describe('the report files: what they say and how they are built', () => {
  let app: App;
  let xlsx: Buffer;
  let docx: Buffer;
  let html: string;
  // long and short rows, every outcome (LP 2, 8, 14: "nieuwzględniona")
  const DECIDED = [1, 2, 3, 8, 14, 25, 26, 67];

  beforeAll(async () => {
    app = await build();
    const staff = await staffAccounts(app);
    for (const p of allProposals(app).filter((x) => DECIDED.includes(x.lp))) decideWithServices(app, p.id, p.lp, staff);
    xlsx = (await app.inject('/raport.xlsx')).rawPayload;
    docx = (await app.inject('/raport.docx')).rawPayload;
    html = (await app.inject('/raport')).body;
  });
  afterAll(async () => {
    await app.close();
  });

  it('leave out the digitisation notes (staff-only), in HTML, XLSX and DOCX', async () => {
    const notes = (
      app.database.sqlite.prepare("SELECT source_notes FROM proposals WHERE source_notes != '[]'").all() as {
        source_notes: string;
      }[]
    ).flatMap((r) => JSON.parse(r.source_notes) as string[]);
    // the Toruń data has them: OCR readings, LPs deduced from the order of the rows
    expect(notes.filter((n) => n.includes('OCR')).length).toBeGreaterThan(10);
    const { wb } = await readXlsx(xlsx);
    const { documentXml } = await readDocx(docx);
    const formats = { html, xlsx: workbookTexts(wb).join('\n'), docx: documentXml };
    for (const [format, text] of Object.entries(formats)) {
      expect(text, format).not.toContain('OCR');
      expect(text, format).not.toContain('Uwagi do odczytu źródła');
      expect(text, format).not.toContain('ustalony z kolejności');
      for (const note of notes) expect(text, format).not.toContain(note.slice(0, 40));
    }
    // what the source lacks is still stated: the gaps and the illegible table themes
    for (const text of Object.values(formats)) expect(text).toContain('nie zawiera wierszy LP 54 i 55');
  });

  it('sub-points keep their dashes, in every format', async () => {
    const { rows } = await readXlsx(xlsx);
    const lp3 = rows.find((r) => r[0] === '3')![2]!;
    expect(lp3.split('\n').slice(1)).toEqual([
      '- 1) dyżury doradcze',
      '- 2) szkolenia, doradztwo on line',
      '- 3) szkolenia, doradztwo z zakresu prawa pracy, księgowości',
    ]);
    expect(html).toContain('\n- 2) szkolenia, doradztwo on line');
    const table = (await readDocx(docx)).tables.find((t) => t[0]?.cells[0] === 'Lp.')!;
    expect(table.find((r) => r.cells[0] === '3')!.cells[2]).toBe(lp3);
    // a sub-heading ("Rozwiązanie:") is no point
    expect(rows.find((r) => r[0] === '25')![2]).toContain('\nRozwiązanie:\n- przebudowanie strony');
  });

  it('XLSX: LP and counts are numbers, the list has an autofilter and rows as tall as their text', async () => {
    const { wb, sheet, rows } = await readXlsx(xlsx);
    expect(rows).toHaveLength(73);
    const first = 6; // the header row (5) and the four lines above it
    for (let n = first; n < first + rows.length; n++) {
      const lp = sheet.getRow(n).getCell(1);
      expect(lp.type, `row ${n}`).toBe(ExcelJS.ValueType.Number);
    }
    expect(sheet.autoFilter).toBe('A5:G78');
    // a row's height follows its text: one line is short, LP 25 (nine points, a sub-heading) is tall
    const heightOf = (lp: number) => sheet.getRow(first + rows.findIndex((r) => r[0] === String(lp))).height;
    expect(heightOf(2)).toBeGreaterThanOrEqual(30);
    expect(heightOf(25)).toBeGreaterThan(heightOf(2) * 3);
    for (let n = first; n < first + rows.length; n++) expect(sheet.getRow(n).height, `row ${n}`).toBeGreaterThan(0);

    const summary = wb.getWorksheet('Podsumowanie')!;
    for (let n = 2; n <= summary.rowCount; n++) {
      expect(summary.getRow(n).getCell(2).type, `Podsumowanie row ${n}`).toBe(ExcelJS.ValueType.Number);
    }
    expect(summary.getRow(summary.rowCount).values).toEqual([undefined, 'razem', 71]);
    const info = wb.getWorksheet('Informacje')!;
    const facts = new Map<string, ExcelJS.Cell>();
    info.eachRow((r) => {
      facts.set(String(r.getCell(1).value), r.getCell(2));
    });
    expect(facts.get('Liczba propozycji')!.value).toBe(71);
    expect(facts.get('Liczba stolików tematycznych')!.value).toBe(7);
    expect(facts.get('Propozycje rozpatrzone')!.value).toBe(DECIDED.length);
  });

  it('XLSX: made by this app, no English "Total", every font named, Polish', async () => {
    const zip = await JSZip.loadAsync(xlsx);
    const text = async (name: string) => zip.file(name)!.async('string');
    expect(await text('docProps/app.xml')).toContain('<Application>Konsultacje – Toruń</Application>');
    expect(await text('docProps/app.xml')).not.toContain('Microsoft');
    expect(await text('docProps/core.xml')).toContain('<dc:language>pl-PL</dc:language>');
    for (const name of Object.keys(zip.files).filter((n) => n.endsWith('.xml'))) {
      expect(await text(name), name).not.toMatch(/Total/);
    }
    const fonts = /<fonts[^>]*>([\s\S]*?)<\/fonts>/.exec(await text('xl/styles.xml'))![1]!;
    const each = [...fonts.matchAll(/<font>([\s\S]*?)<\/font>/g)].map((m) => m[1]!);
    expect(each.length).toBeGreaterThan(3);
    for (const f of each) expect(f, f).toMatch(/<name val="Arial"\/>/);
    expect(each.some((f) => f.includes('<b/>'))).toBe(true);
  });

  it('DOCX: headings with outline levels, fixed column widths, rows kept whole, named fonts on bold text', async () => {
    const { stylesXml, documentXml, tables } = await readDocx(docx);
    const style = (id: string) =>
      new RegExp(`<w:style [^>]*w:styleId="${id}"[^>]*>([\\s\\S]*?)</w:style>`).exec(stylesXml)![1]!;
    expect(style('Title')).toContain('<w:outlineLvl w:val="0"/>');
    expect(style('Heading1')).toContain('<w:outlineLvl w:val="1"/>');
    expect(style('Heading2')).toContain('<w:outlineLvl w:val="2"/>');
    expect(documentXml).toContain('<w:pStyle w:val="Heading1"/>');
    // the table's grid, read by LibreOffice: "Sposób rozpatrzenia" gets a width that holds "nieuwzględniona"
    const grid = /<w:tblGrid>([\s\S]*?)<\/w:tblGrid>/.exec(
      /<w:tbl>(?:(?!<w:tbl>)[\s\S])*?Treść propozycji[\s\S]*?<\/w:tbl>/.exec(documentXml)![0]!,
    )![1]!;
    const widths = [...grid.matchAll(/w:w="(\d+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(7);
    expect(widths[5]).toBeGreaterThanOrEqual(1800);
    const proposals = tables.find((t) => t[0]?.cells[0] === 'Lp.')!;
    expect(proposals[0]!.header).toBe(true);
    const rowsXml = [...documentXml.matchAll(/<w:tr(?:\s[^>]*)?>([\s\S]*?)<\/w:tr>/g)].map((m) => m[1]!);
    for (const tr of rowsXml) expect(tr).toContain('<w:cantSplit/>');
    const boldRuns = [...documentXml.matchAll(/<w:r>([\s\S]*?)<\/w:r>/g)]
      .map((m) => m[1]!)
      .filter((r) => r.includes('<w:b/>'));
    expect(boldRuns.length).toBeGreaterThan(5);
    for (const run of boldRuns) expect(run).toMatch(/<w:rFonts w:ascii="Arial"/);
    expect(stylesXml).toContain('<w:lang w:val="pl-PL"/>');
  });
});
