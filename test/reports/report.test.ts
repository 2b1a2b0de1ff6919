import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDateTimePl } from '../../src/lib/dates.js';
import { OUTCOME_LABELS } from '../../src/workflow/workflow.js';
import { GAP_TEXT, PENDING_LABEL } from '../../src/reports/report.js';
import { markDuplicate } from '../../src/triage/service.js';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';
import {
  allProposals,
  decideWithServices,
  decisionText,
  outcomeFor,
  readDocx,
  readXlsx,
  staffAccounts,
  UNIT,
} from './fixtures.js';

const GAPS = [54, 55];
const MONTHS = 'stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|listopada|grudnia';
const DAY = `\\d{1,2} (${MONTHS}) \\d{4}`;
/** When the data last changed and when the file was made, as a reader understands them (no internal counters). */
const AS_OF = new RegExp(`Dane według stanu na ${DAY}, godz\\. \\d{2}:\\d{2}\\. Zestawienie wygenerowano ${DAY}\\.`);

/** The text of each `<tr>` of the proposals table in the HTML report: [LP, cells…]. */
function htmlRows(body: string): string[][] {
  const table = /<table class="data report-table">([\s\S]*?)<\/table>/.exec(body)![1]!;
  const tbody = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)![1]!;
  return [...tbody.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((tr) =>
    [...tr[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) =>
      c[1]!
        .replace(/<[^>]+>/g, '')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&')
        .trim(),
    ),
  );
}

describe('the report with no decisions: a draft', () => {
  let app: App;
  beforeAll(async () => {
    app = await build();
  });
  afterAll(async () => {
    await app.close();
  });

  it('HTML: labelled "projekt", every LP in order, gaps and illegible themes stated, counts all pending', async () => {
    const res = await app.inject('/raport');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>PROJEKT – Zestawienie propozycji i sposobu ich rozpatrzenia</h1>');
    expect(res.body).toContain('data-watermark="PROJEKT"');
    expect(res.body).toContain('rozpatrzono 0 z 71 propozycji');
    expect(res.body).toMatch(/<link rel="stylesheet" href="\/static\/print\.[0-9a-f]{12}\.css">/);
    // the files of the same consultation, whichever address the page was opened at (the page is cached)
    expect(res.body).toContain('href="/raport.xlsx?consultation=torun-2026"');
    expect(res.body).toContain('href="/raport.docx?consultation=torun-2026"');
    expect(res.body).toMatch(AS_OF);
    expect(res.body).not.toContain('w wersji');
    const rows = htmlRows(res.body);
    expect(rows.map((r) => Number(r[0]))).toEqual(allProposals(app).map((p) => p.lp));
    expect(rows).toHaveLength(73);
    for (const lp of GAPS) expect(rows.find((r) => r[0] === String(lp))![2]).toBe(GAP_TEXT);
    expect(rows.filter((r) => r[5] === PENDING_LABEL)).toHaveLength(71);
    expect(res.body).toContain('nie zawiera wierszy LP 54 i 55');
    expect(res.body).toContain('1 (w całości), 2 („Wyzwa[…]”)');
    expect(res.body).toMatch(/<th scope="row">w trakcie rozpatrywania<\/th><td>71<\/td>/);
    // the header fields nobody has filled in yet are said to be missing, not left blank
    expect(res.body).toMatch(/<dt>Podstawa prawna<\/dt>\s*<dd class="report-text">nie uzupełniono<\/dd>/);
  });

  it('XLSX (read back with exceljs): all 73 LPs in order, draft header, Polish workbook', async () => {
    const res = await app.inject('/raport.xlsx');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="zestawienie-torun-2026.xlsx"');
    const { wb, sheet, rows, header } = await readXlsx(res.rawPayload);
    expect(header.slice(0, 3)).toEqual(['Lp.', 'Stolik', 'Treść propozycji']);
    expect(rows.map((r) => Number(r[0]))).toEqual(allProposals(app).map((p) => p.lp));
    expect(rows.filter((r) => r[5] === PENDING_LABEL)).toHaveLength(71);
    expect(rows.find((r) => r[0] === '54')![2]).toBe(GAP_TEXT);
    expect(String(sheet.getCell('A1').value)).toMatch(/^PROJEKT – /);
    expect(sheet.headerFooter.oddHeader).toContain('PROJEKT');
    expect((wb as unknown as { language: string }).language).toBe('pl-PL');
    expect(sheet.pageSetup.orientation).toBe('landscape');
  });

  it('DOCX (unzipped): a header row repeated on each page, the watermark, pl-PL, A4 landscape', async () => {
    const res = await app.inject('/raport.docx');
    expect(res.statusCode).toBe(200);
    const { tables, stylesXml, headers, documentXml } = await readDocx(res.rawPayload);
    const table = tables.find((t) => t[0]?.cells[0] === 'Lp.')!;
    expect(table[0]!.header).toBe(true);
    expect(table.slice(1).map((r) => Number(r.cells[0]))).toEqual(allProposals(app).map((p) => p.lp));
    expect(table.slice(1).filter((r) => r.cells[5] === PENDING_LABEL)).toHaveLength(71);
    expect(stylesXml).toContain('<w:lang w:val="pl-PL"/>');
    expect(headers.join('')).toContain('PROJEKT');
    expect(documentXml).toContain('<w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/>');
    expect(documentXml).toContain('<w:pStyle w:val="Heading1"/>');
  });

  it('answers 404 for an unknown consultation and 400 for a malformed one, in every format', async () => {
    for (const path of ['/raport', '/raport.xlsx', '/raport.docx']) {
      expect((await app.inject(`${path}?consultation=nie-ma-takich`)).statusCode, path).toBe(404);
      expect((await app.inject(`${path}?consultation=Z%C5%81E`)).statusCode, path).toBe(400);
      expect((await app.inject(`${path}?consultation=torun-2026`)).statusCode, path).toBe(200);
    }
  });
});

describe('the report with every proposal decided', () => {
  let app: App;
  let proposals: ReturnType<typeof allProposals>;
  const DUPLICATE_LP = 66;
  const ORIGINAL_LP = 7;
  const VIA_ROUTES_LP = 13;

  beforeAll(async () => {
    app = await build();
    proposals = allProposals(app);
    const staff = await staffAccounts(app);
    // one proposal through the staff routes, as the office works
    const admin = new Agent(app);
    await admin.login('admin@t.test');
    const unit = new Agent(app);
    await unit.login('biuro@t.test');
    const id = idOfLp(app, VIA_ROUTES_LP);
    const versionOf = (body: string) => /name="version" value="(\d+)"/.exec(body)![1]!;
    const unitId = (app.database.sqlite.prepare('SELECT id FROM units WHERE name = ?').get(UNIT) as { id: number }).id;
    let page = await admin.get(`/staff/proposals/${id}`);
    const due = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    let res = await admin.post(`/proposals/${id}/assignments`, {
      version: versionOf(page.body),
      unitIds: String(unitId),
      dueDate: due,
    });
    expect(res.statusCode).toBe(303);
    await unit.get(`/staff/proposals/${id}`);
    res = await unit.post(`/proposals/${id}/positions`, {
      unitId: String(unitId),
      positionVersion: '0',
      action: 'submit',
      outcome: outcomeFor(VIA_ROUTES_LP),
      justification: 'Stanowisko Biura.',
    });
    expect(res.statusCode).toBe(303);
    page = await admin.get(`/staff/proposals/${id}`);
    const positionId = (
      app.database.sqlite.prepare('SELECT id FROM positions WHERE proposal_id = ?').get(id) as { id: number }
    ).id;
    res = await admin.post(`/proposals/${id}/decision`, {
      version: versionOf(page.body),
      outcome: outcomeFor(VIA_ROUTES_LP),
      text: decisionText(VIA_ROUTES_LP),
      citedPositionIds: String(positionId),
    });
    expect(res.statusCode).toBe(303);
    // one duplicate, the rest through the services
    const dupId = idOfLp(app, DUPLICATE_LP);
    const v = (
      app.database.sqlite.prepare('SELECT version FROM proposals WHERE id = ?').get(dupId) as { version: number }
    ).version;
    markDuplicate(
      app.database.db,
      dupId,
      { version: v, duplicateOfLp: ORIGINAL_LP, reason: 'To samo.' },
      staff.adminId,
    );
    for (const p of proposals) {
      if (!p.inSource || p.lp === VIA_ROUTES_LP || p.lp === DUPLICATE_LP) continue;
      decideWithServices(app, p.id, p.lp, staff);
    }
  });
  afterAll(async () => {
    await app.close();
  });

  /** What each LP's row must say: outcome and text. */
  const expected = (lp: number) => {
    if (GAPS.includes(lp)) return { outcome: '', text: '' };
    if (lp === DUPLICATE_LP) return { outcome: `rozpatrzona łącznie z LP ${ORIGINAL_LP} (powtórzenie)`, text: null };
    return { outcome: OUTCOME_LABELS[outcomeFor(lp)], text: decisionText(lp) };
  };

  it('HTML: final (no "projekt"), each row with its outcome, decision text and the unit with a position', async () => {
    const res = await app.inject('/raport');
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('PROJEKT');
    expect(res.body).not.toContain('data-watermark');
    expect(res.body).toContain('Rozpatrzono wszystkie propozycje (71).');
    const rows = htmlRows(res.body);
    expect(rows.map((r) => Number(r[0]))).toEqual(proposals.map((p) => p.lp));
    for (const r of rows) {
      const lp = Number(r[0]);
      if (GAPS.includes(lp)) {
        expect(r[2]).toBe(GAP_TEXT);
        continue;
      }
      const want = expected(lp);
      expect(r[5], `LP ${lp}`).toBe(want.outcome);
      if (want.text) {
        expect(r[6], `LP ${lp}`).toBe(want.text);
        expect(r[4], `LP ${lp}`).toBe(UNIT);
      }
    }
    expect(res.body).toMatch(/<th scope="row">w trakcie rozpatrywania<\/th><td>0<\/td>/);
    expect(res.body).toMatch(/<th scope="row">rozpatrzona łącznie z inną propozycją \(powtórzenie\)<\/th><td>1<\/td>/);
    // the counts add up to the 71 proposals
    const countsTable = /<table class="data report-counts">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(res.body)![1]!;
    const counts = [...countsTable.matchAll(/<td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(counts).toHaveLength(8);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(71);
  });

  it('XLSX (read back with exceljs): all rows in order with outcomes and texts, no draft label', async () => {
    const res = await app.inject('/raport.xlsx');
    const { wb, sheet, rows } = await readXlsx(res.rawPayload);
    expect(rows.map((r) => Number(r[0]))).toEqual(proposals.map((p) => p.lp));
    expect(rows.filter((r) => !GAPS.includes(Number(r[0])))).toHaveLength(71);
    for (const r of rows) {
      const want = expected(Number(r[0]));
      expect(r[5], `LP ${r[0]}`).toBe(want.outcome);
      if (want.text) expect(r[6], `LP ${r[0]}`).toBe(want.text);
    }
    expect(String(sheet.getCell('A1').value)).not.toContain('PROJEKT');
    expect(sheet.headerFooter.oddHeader ?? '').not.toContain('PROJEKT');
    const summary = wb.getWorksheet('Podsumowanie')!;
    const total = summary.getRow(summary.rowCount).values as unknown[];
    expect(total.slice(1)).toEqual(['razem', 71]);
  });

  it('DOCX (unzipped): all rows in order with outcomes and texts (lines as paragraphs), no watermark', async () => {
    const res = await app.inject('/raport.docx');
    const { tables, headers } = await readDocx(res.rawPayload);
    const table = tables.find((t) => t[0]?.cells[0] === 'Lp.')!;
    const rows = table.slice(1).map((r) => r.cells);
    expect(rows.map((r) => Number(r[0]))).toEqual(proposals.map((p) => p.lp));
    for (const r of rows) {
      const want = expected(Number(r[0]));
      expect(r[5], `LP ${r[0]}`).toBe(want.outcome);
      if (want.text) expect(r[6], `LP ${r[0]}`).toBe(want.text);
    }
    expect(headers.join('')).not.toContain('PROJEKT');
  });
});

describe('report header fields and the RDPP opinion', () => {
  let app: App;
  let admin: Agent;
  beforeAll(async () => {
    app = await build();
    await createUser(app, 'admin@t.test', 'admin');
    admin = new Agent(app);
    await admin.login('admin@t.test');
  });
  afterAll(async () => {
    await app.close();
  });

  const valid = {
    legalBasis: 'Uchwała nr 123/2026 Rady Miasta Torunia',
    startDate: '2026-11-03',
    endDate: '2026-11-17',
    formOfConsultation: 'spotkanie konsultacyjne (warsztat przy stolikach tematycznych)',
    announcedIn: 'Biuletyn Informacji Publicznej, torun.pl',
    remarks: 'Wzięło udział 60 osób.',
  };

  it('an admin saves the header; the report (all formats) shows it and the time of that change', async () => {
    await admin.get('/staff/report/torun-2026');
    const res = await admin.post('/staff/report/torun-2026', valid);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff/report/torun-2026?ok=saved');
    const stored = app.database.sqlite.prepare('SELECT * FROM consultation_reports').all() as Record<string, unknown>[];
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ legal_basis: valid.legalBasis, form: valid.formOfConsultation });
    const form = await admin.get('/staff/report/torun-2026?ok=saved');
    expect(form.body).toContain('Zapisano.');
    expect(form.body).toContain(valid.legalBasis);

    const report = await app.inject('/raport');
    expect(report.body).toContain(valid.legalBasis);
    expect(report.body).toContain('od 3 listopada 2026 do 17 listopada 2026');
    expect(report.body).toContain(valid.announcedIn);
    // the data are as of the header's saving, the latest change, in Warsaw time
    const savedAt = String(stored[0]!.updated_at);
    expect(report.body).toContain(`Dane według stanu na ${formatDateTimePl(savedAt).replace(', ', ', godz. ')}.`);
    const { wb } = await readXlsx((await app.inject('/raport.xlsx')).rawPayload);
    const info = wb.getWorksheet('Informacje')!;
    const facts: string[] = [];
    info.eachRow((r) => facts.push(`${r.getCell(1).value}=${r.getCell(2).value ?? ''}`));
    expect(facts).toContain(`Podstawa prawna=${valid.legalBasis}`);
    expect(facts).toContain('Termin konsultacji=od 3 listopada 2026 do 17 listopada 2026');
    const { documentXml } = await readDocx((await app.inject('/raport.docx')).rawPayload);
    expect(documentXml).toContain(valid.announcedIn);

    // saving again updates the one row
    await admin.post('/staff/report/torun-2026', { ...valid, remarks: '' });
    expect(app.database.sqlite.prepare('SELECT remarks FROM consultation_reports').all()).toEqual([{ remarks: '' }]);
  });

  it('the sign-off: who prepared and approved the report and when, in every format, kept on a refused form', async () => {
    const signOff = {
      preparedBy: 'Anna Kowalska, główny specjalista',
      approvedBy: 'Jan Nowak, dyrektor Biura Dialogu i Innowacji Miejskich',
      approvedOn: '2026-12-15',
    };
    const before = await app.inject('/raport');
    expect(before.body).toMatch(
      /<h2 id="zatwierdzenie">Zatwierdzenie zestawienia<\/h2>[\s\S]*<dt>Sporządził\(a\)<\/dt>\s*<dd>nie uzupełniono<\/dd>/,
    );
    await admin.get('/staff/report/torun-2026');
    // a refused form keeps what was typed
    const refused = await admin.post('/staff/report/torun-2026', { ...valid, ...signOff, approvedOn: '15.12.2026' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain(`value="${signOff.approvedBy}"`);
    expect(refused.body).toContain('value="15.12.2026"');
    const res = await admin.post('/staff/report/torun-2026', { ...valid, ...signOff });
    expect(res.statusCode).toBe(303);
    expect(
      app.database.sqlite.prepare('SELECT prepared_by, approved_by, approved_on FROM consultation_reports').get(),
    ).toEqual({ prepared_by: signOff.preparedBy, approved_by: signOff.approvedBy, approved_on: '2026-12-15' });
    const form = await admin.get('/staff/report/torun-2026');
    expect(form.body).toContain(`value="${signOff.preparedBy}"`);
    expect(form.body).toContain('value="2026-12-15"');

    const html = (await app.inject('/raport')).body;
    for (const [label, value] of [
      ['Sporządził\\(a\\)', signOff.preparedBy],
      ['Zatwierdził\\(a\\)', signOff.approvedBy],
      ['Data zatwierdzenia', '15 grudnia 2026'],
    ]) {
      expect(html).toMatch(new RegExp(`<dt>${label}</dt>\\s*<dd>${value}</dd>`));
    }
    const { wb } = await readXlsx((await app.inject('/raport.xlsx')).rawPayload);
    const info: string[] = [];
    wb.getWorksheet('Informacje')!.eachRow((r) => info.push(`${r.getCell(1).value}=${r.getCell(2).value ?? ''}`));
    expect(info).toEqual(
      expect.arrayContaining([
        `Sporządził(a)=${signOff.preparedBy}`,
        `Zatwierdził(a)=${signOff.approvedBy}`,
        'Data zatwierdzenia=15 grudnia 2026',
      ]),
    );
    const { tables } = await readDocx((await app.inject('/raport.docx')).rawPayload);
    const signOffTable = tables.find((t) => t[0]?.cells[0] === 'Sporządził(a)')!;
    expect(signOffTable.map((r) => r.cells)).toEqual([
      ['Sporządził(a)', signOff.preparedBy],
      ['Zatwierdził(a)', signOff.approvedBy],
      ['Data zatwierdzenia', '15 grudnia 2026'],
    ]);
  });

  it('the report is linked from the public progress page and from the admin’s list of consultations', async () => {
    const progress = await app.inject('/consultation');
    // one link section at the foot of the page, nothing in the page title
    expect(/<title>([^<]*)<\/title>/.exec(progress.body)![1]).toMatch(/^Postęp konsultacji/);
    expect(progress.body.match(/<h2 id="zestawienie-h">/g)).toHaveLength(1);
    expect(progress.body).toContain('href="/raport?consultation=torun-2026"');
    expect(progress.body).toContain('href="/raport.xlsx?consultation=torun-2026"');
    expect(progress.body).toContain('href="/raport.docx?consultation=torun-2026"');
    const list = await admin.get('/staff/consultations');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('<a href="/raport?consultation=torun-2026">Zestawienie');
    expect(list.body).toContain('<a href="/staff/report/torun-2026">Informacje i zatwierdzenie');
  });

  it('refuses bad input with a GOV.UK error summary (422) and writes nothing', async () => {
    const snapshot = () => JSON.stringify(app.database.sqlite.prepare('SELECT * FROM consultation_reports').all());
    const before = snapshot();
    await admin.get('/staff/report/torun-2026');
    const cases: [Record<string, string>, string, string][] = [
      [{ ...valid, endDate: '2026-11-01' }, 'endDate', 'Data zakończenia nie może być wcześniejsza'],
      [{ ...valid, startDate: '3.11.2026' }, 'startDate', 'RRRR-MM-DD'],
      [{ ...valid, startDate: '2026-02-30' }, 'startDate', 'Taka data nie istnieje.'],
      [{ ...valid, legalBasis: 'Uchwała \u202Eodwrócona' }, 'legalBasis', 'niedozwolone znaki sterujące'],
      [{ ...valid, formOfConsultation: 'x'.repeat(2001) }, 'formOfConsultation', 'najwyżej 2000 znaków'],
      [{ ...valid, approvedOn: '2026-11-31' }, 'approvedOn', 'Taka data nie istnieje.'],
      [{ ...valid, approvedOn: '2026-11-02' }, 'approvedOn', 'nie może być wcześniejsza niż data rozpoczęcia'],
      [{ ...valid, approvedBy: 'y'.repeat(301) }, 'approvedBy', 'najwyżej 300 znaków'],
    ];
    for (const [form, field, message] of cases) {
      const res = await admin.post('/staff/report/torun-2026', form);
      expect(res.statusCode, field).toBe(422);
      expect(res.body).toContain('id="error-summary"');
      expect(res.body).toContain(`<a href="#${field}">`);
      expect(res.body).toContain(message);
      expect(res.body).toContain(`id="${field}-error"`);
    }
    expect(snapshot()).toBe(before);
  });

  it('shows the RDPP’s opinions in every format', async () => {
    const consultationId = (app.database.sqlite.prepare('SELECT id FROM consultations').get() as { id: number }).id;
    app.database.sqlite
      .prepare(
        `INSERT INTO rdpp_opinions (consultation_id, date, text, attachment_name, created_at)
         VALUES (?, '2026-12-01', 'Rada pozytywnie opiniuje przebieg konsultacji.', 'opinia-rdpp.pdf', ?)`,
      )
      .run(consultationId, new Date().toISOString());
    app.database.sqlite.prepare("UPDATE meta SET value = value + 1 WHERE key = 'data_version'").run();
    const html = await app.inject('/raport');
    expect(html.body).toContain(
      '1 grudnia 2026: Rada pozytywnie opiniuje przebieg konsultacji. (załącznik: opinia-rdpp.pdf)',
    );
    const { documentXml } = await readDocx((await app.inject('/raport.docx')).rawPayload);
    expect(documentXml).toContain('Rada pozytywnie opiniuje przebieg konsultacji.');
  });
});
