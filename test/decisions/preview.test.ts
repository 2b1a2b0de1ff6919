import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, idOfLp, type App, unitIdByName, workflowSnapshot } from '../helpers.js';
import { at, KULTURA, storyTools, ZDROWIE } from '../public/fixtures.js';

/**
 * "Sprawdź przed publikacją" and the confirmations of destructive actions: the preview writes nothing
 * and shows the public page's markup; "Wróć do edycji" and a reopen bring the form back filled in;
 * "Usuń przekazanie" and "Cofnij oznaczenie jako duplikat" ask first (page or htmx fragment).
 */
let app: App;
let tools: Awaited<ReturnType<typeof storyTools>>;
let lp7: number;
let lp10: number;
let lp11: number;
const agents: Record<Role, Agent> = {} as Record<Role, Agent>;
const ROLES = ['anonymous', 'unit', 'reviewer', 'admin'] as const;
type Role = (typeof ROLES)[number];

// markup characters, quotes and a line break: escaped once, and published exactly as previewed
const TEXT =
  'Uwzględniono „w całości”: <b>lokale</b> & dyżury "NGO" w 2027 r.\r\nDrugi akapit – szczegóły w programie.';
const KULTURA_WHY = 'Wydział Kultury udostępni salę w CKK Jordanki raz w miesiącu.';
const ZDROWIE_WHY = 'Wydział Zdrowia nie prowadzi lokali i nie zajmuje stanowiska co do ich liczby.';

const versionIn = (html: string) => Number(/name="version" value="(\d+)"/.exec(html)![1]);
const version = (id: number) =>
  (app.database.sqlite.prepare('SELECT version FROM proposals WHERE id = ?').get(id) as { version: number }).version;
const status = (id: number) =>
  (app.database.sqlite.prepare('SELECT status FROM proposals WHERE id = ?').get(id) as { status: string }).status;
const positionId = (id: number, unit: string) =>
  (
    app.database.sqlite
      .prepare('SELECT id FROM positions WHERE proposal_id = ? AND unit_id = ?')
      .get(id, unitIdByName(app, unit)) as { id: number }
  ).id;
/** Everything a publication would write: workflow rows (decisions, events, proposals …) and the mail outbox. */
const writes = () => workflowSnapshot(app) + JSON.stringify(app.database.sqlite.prepare('SELECT * FROM outbox').all());
/** The inner HTML of the first element with this attribute (the sections contain no nested sections). */
const sectionByLabel = (html: string, labelledBy: string) =>
  new RegExp(`<section aria-labelledby="${labelledBy}"[^>]*>([\\s\\S]*?)</section>`).exec(html)?.[1] ?? '';
/** The hidden fields of the preview's publish form, as a form to post. */
const hiddenFields = (html: string) => {
  const form = /<form method="post" action="\/proposals\/\d+\/decision"[\s\S]*?<\/form>/.exec(html)![0];
  const out: Record<string, string | string[]> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    const value = m[2]!
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
    const prev = out[m[1]!];
    out[m[1]!] = prev === undefined ? value : [prev, value].flat();
  }
  delete out._csrf;
  return out;
};

beforeAll(async () => {
  app = await build();
  tools = await storyTools(app);
  lp7 = idOfLp(app, 7);
  lp10 = idOfLp(app, 10);
  lp11 = idOfLp(app, 11);
  // LP 7: both units answered, the decision is due
  tools.assign(lp7, [KULTURA, ZDROWIE], KULTURA, '2026-12-20', at(1));
  await tools.position(lp7, KULTURA, 'uwzgledniona', KULTURA_WHY, at(2));
  await tools.position(lp7, ZDROWIE, 'nieuwzgledniona', ZDROWIE_WHY, at(3));
  // LP 10: two assignments to remove; LP 11: a duplicate of LP 10
  tools.assign(lp10, [KULTURA, ZDROWIE], KULTURA, '2099-12-20', at(4));
  tools.duplicate(lp11, 10, 'Ta sama prośba o lokale.', at(5));

  await createUser(app, 'admin@preview.test', 'admin');
  await createUser(app, 'rdpp@preview.test', 'reviewer');
  await createUser(app, 'kultura@preview.test', 'unit', [KULTURA]);
  for (const role of ROLES) agents[role] = new Agent(app);
  await agents.admin.login('admin@preview.test');
  await agents.reviewer.login('rdpp@preview.test');
  await agents.unit.login('kultura@preview.test');
  await agents.anonymous.get('/login');
});
afterAll(async () => {
  await app.close();
});

describe('the decision form', () => {
  it('submits to the preview, ticks no position unseen, and says what becomes public', async () => {
    const page = await agents.admin.get(`/staff/proposals/${lp7}`);
    expect(status(lp7)).toBe('stanowiska-zebrane');
    const section = sectionByLabel(page.body, 'decyzja');
    expect(section).toContain(`action="/proposals/${lp7}/decision/preview"`);
    expect(section).toContain('Sprawdź przed publikacją</button>');
    expect(section).not.toContain('Opublikuj decyzję');
    expect(section).toContain('Widoczne publicznie na stronie propozycji i w danych otwartych');
    expect(section).toContain('aria-describedby="decision-text-hint"');
    // both positions are offered, none pre-ticked
    expect([...section.matchAll(/name="citedPositionIds" value="(\d+)"/g)]).toHaveLength(2);
    expect(section).not.toMatch(/name="citedPositionIds"[^>]*checked/);
  });

  it('the public status, duplicate and correction reasons say who will see them', async () => {
    const dup = sectionByLabel((await agents.admin.get(`/staff/proposals/${lp10}`)).body, 'porzadkowanie');
    expect(dup).toMatch(/id="duplicate-reason-hint">Widoczne publicznie: w historii na stronie propozycji/);
    expect(dup).toContain('aria-describedby="duplicate-reason-hint"');
    expect(dup).toMatch(/id="correction-reason-hint">Widoczny tylko dla pracowników/);
  });
});

describe('Sprawdź przed publikacją', () => {
  it('shows the decision as the public will see it and publishes nothing', async () => {
    const page = await agents.admin.get(`/staff/proposals/${lp7}`);
    const before = writes();
    const res = await agents.admin.post(`/proposals/${lp7}/decision/preview`, {
      version: versionIn(page.body),
      outcome: 'czesciowo-uwzgledniona',
      text: TEXT,
      citedPositionIds: String(positionId(lp7, KULTURA)),
    });
    expect(res.statusCode).toBe(200);
    expect(writes()).toBe(before);
    expect(status(lp7)).toBe('stanowiska-zebrane');
    expect(app.database.sqlite.prepare('SELECT count(*) n FROM decisions').get()).toEqual({ n: 0 });

    expect(res.body).toContain('<h1>Sprawdź decyzję przed publikacją</h1>');
    expect(res.body).toContain('Nic nie zostało jeszcze opublikowane.');
    const preview = sectionByLabel(res.body, 'podglad-h');
    expect(preview).toContain('<strong>Propozycja częściowo uwzględniona</strong>');
    expect(preview).toContain('Uwzględniono „w całości”: &lt;b&gt;lokale&lt;/b&gt; &amp; dyżury &quot;NGO&quot;');
    expect(preview).not.toContain('<b>lokale</b>');
    expect(preview).toContain(`<strong>${KULTURA}</strong>: uwzględniona – ${KULTURA_WHY}`);
    expect(preview).not.toContain(ZDROWIE_WHY);
    // which positions go public, and which do not
    const positions = sectionByLabel(res.body, 'stanowiska-h');
    expect(positions).toContain(
      `Razem z decyzją zostaną opublikowane (z uzasadnieniem) stanowiska: <strong>${KULTURA}</strong>.`,
    );
    expect(positions).toContain(`Nie zostaną opublikowane (zobaczą je tylko pracownicy): <strong>${ZDROWIE}</strong>.`);
    // "Opublikuj" and "Wróć do edycji" carry the same values, with CSRF
    expect(res.body).toMatch(
      /<form method="post" action="\/proposals\/\d+\/decision" class="actions">\s*<input type="hidden" name="_csrf" value="[^"]+">/,
    );
    expect(hiddenFields(res.body)).toEqual({
      version: String(versionIn(page.body)),
      outcome: 'czesciowo-uwzgledniona',
      text: TEXT,
      citedPositionIds: String(positionId(lp7, KULTURA)),
    });
    expect(res.body).toContain(`formaction="/proposals/${lp7}/decision/edit#decyzja">Wróć do edycji</button>`);
  });

  it('refuses what publishing would refuse, with the form and nothing written', async () => {
    const page = await agents.admin.get(`/staff/proposals/${lp7}`);
    const before = writes();
    const empty = await agents.admin.post(`/proposals/${lp7}/decision/preview`, {
      version: versionIn(page.body),
      outcome: '',
      text: '',
    });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('Wybierz sposób rozpatrzenia z listy.');
    expect(empty.body).toContain('Opisz sposób wykorzystania propozycji.');
    const stale = await agents.admin.post(`/proposals/${lp7}/decision/preview`, {
      version: versionIn(page.body) - 1,
      outcome: 'uwzgledniona',
      text: TEXT,
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Ktoś inny zmienił tę propozycję');
    const foreign = await agents.admin.post(`/proposals/${lp7}/decision/preview`, {
      version: versionIn(page.body),
      outcome: 'uwzgledniona',
      text: TEXT,
      citedPositionIds: '999999',
    });
    expect(foreign.statusCode).toBe(422);
    expect(foreign.body).toContain('Można przywołać tylko złożone stanowiska przypisanych jednostek.');
    const early = await agents.admin.post(`/proposals/${lp10}/decision/preview`, {
      version: version(lp10),
      outcome: 'uwzgledniona',
      text: TEXT,
    });
    expect(early.statusCode).toBe(422);
    expect(early.body).toContain('Decyzję można opublikować, gdy wszystkie przypisane jednostki złożą stanowiska');
    expect(writes()).toBe(before);
  });

  it('"Wróć do edycji" brings the form back with the values kept, writing nothing', async () => {
    const before = writes();
    const res = await agents.admin.post(`/proposals/${lp7}/decision/edit`, {
      version: version(lp7),
      outcome: 'czesciowo-uwzgledniona',
      text: TEXT,
      citedPositionIds: String(positionId(lp7, KULTURA)),
    });
    expect(res.statusCode).toBe(200);
    expect(writes()).toBe(before);
    expect(res.body).not.toContain('<title>Błąd');
    expect(res.body).not.toContain('id="error-summary"');
    const form = sectionByLabel(res.body, 'decyzja');
    expect(form).toContain('<option value="czesciowo-uwzgledniona" selected>');
    expect(form).toContain('Uwzględniono „w całości”: &lt;b&gt;lokale&lt;/b&gt;');
    expect(form).toMatch(new RegExp(`name="citedPositionIds" value="${positionId(lp7, KULTURA)}" checked`));
    expect(form).not.toMatch(new RegExp(`name="citedPositionIds" value="${positionId(lp7, ZDROWIE)}" checked`));
  });

  it('"Opublikuj" publishes what was previewed: the public page shows the same markup', async () => {
    const page = await agents.admin.get(`/staff/proposals/${lp7}`);
    const preview = await agents.admin.post(`/proposals/${lp7}/decision/preview`, {
      version: versionIn(page.body),
      outcome: 'czesciowo-uwzgledniona',
      text: TEXT,
      citedPositionIds: String(positionId(lp7, KULTURA)),
    });
    const res = await agents.admin.post(`/proposals/${lp7}/decision`, hiddenFields(preview.body));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/staff/proposals/${lp7}?ok=decyzja#decyzja`);
    expect(status(lp7)).toBe('rozstrzygnieta');

    const pub = await app.inject(`/proposals/${lp7}`);
    const withoutDate = (html: string) => html.replace(/\(decyzja z [^)]*\)/, '(decyzja z …)').trim();
    const published = sectionByLabel(pub.body, 'decyzja-h').replace(/^\s*<h2[^>]*>[^<]*<\/h2>/, '');
    const previewed = sectionByLabel(preview.body, 'podglad-h').replace(/^[\s\S]*?<\/dl>/, '');
    expect(withoutDate(published)).toBe(withoutDate(previewed));
    expect(pub.body).not.toContain(ZDROWIE_WHY);
    const stored = app.database.sqlite.prepare('SELECT text, cited_positions FROM decisions').get() as {
      text: string;
      cited_positions: string;
    };
    expect(stored.text).toBe(TEXT);
    expect(JSON.parse(stored.cited_positions).map((c: { unitName: string }) => c.unitName)).toEqual([KULTURA]);
  });

  it('after a reopen the form comes back with the withdrawn decision’s outcome, text and positions', async () => {
    const page = await agents.admin.get(`/staff/proposals/${lp7}`);
    const reopen = await agents.admin.post(`/proposals/${lp7}/status`, {
      version: versionIn(page.body),
      target: 'reopen',
      reason: 'Wydział Kultury zmienił zdanie co do sali.',
    });
    expect(reopen.statusCode).toBe(303);
    expect(status(lp7)).toBe('stanowiska-zebrane');
    const again = await agents.admin.get(`/staff/proposals/${lp7}`);
    const form = sectionByLabel(again.body, 'decyzja');
    expect(form).toContain('Formularz wypełniono treścią decyzji z');
    expect(form).toContain('<option value="czesciowo-uwzgledniona" selected>');
    expect(form).toContain(
      'Uwzględniono „w całości”: &lt;b&gt;lokale&lt;/b&gt; &amp; dyżury &quot;NGO&quot; w 2027 r.',
    );
    expect(form).toMatch(new RegExp(`name="citedPositionIds" value="${positionId(lp7, KULTURA)}" checked`));
    expect(form).not.toMatch(new RegExp(`name="citedPositionIds" value="${positionId(lp7, ZDROWIE)}" checked`));
  });
});

describe('confirmation of destructive actions', () => {
  const assignmentOf = (id: number, unit: string) =>
    (
      app.database.sqlite
        .prepare('SELECT id FROM assignments WHERE proposal_id = ? AND unit_id = ?')
        .get(id, unitIdByName(app, unit)) as { id: number } | undefined
    )?.id;

  it('"Usuń przekazanie" is a link to a confirmation page, apart from "Zapisz zmianę"', async () => {
    const page = await agents.admin.get(`/staff/proposals/${lp10}`);
    const a = assignmentOf(lp10, ZDROWIE)!;
    const href = `/staff/proposals/${lp10}/assignments/${a}/removal`;
    expect(page.body).toMatch(
      new RegExp(`<p class="separate-action">\\s*<a href="${href}" class="button warning"\\s+hx-get="${href}"`),
    );
    expect(page.body).not.toContain(`action="/proposals/${lp10}/assignments/${a}/removal"`);
    expect(page.body).toContain('<dialog id="potwierdzenie" class="confirm-dialog" aria-labelledby="potwierdzenie-h"');

    const confirm = await agents.admin.get(href);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain(`<h1 id="potwierdzenie-h">Usunąć przekazanie do: ${ZDROWIE}?</h1>`);
    expect(confirm.body).toContain('Cofnięto przekazanie do: ');
    expect(confirm.body).toMatch(
      new RegExp(
        `<form method="post" action="/proposals/${lp10}/assignments/${a}/removal">\\s*<input type="hidden" name="_csrf" value="[^"]+">\\s*<input type="hidden" name="version" value="${version(lp10)}">`,
      ),
    );
    expect(confirm.body).toContain(
      `<a href="/staff/proposals/${lp10}#przekazania" class="button secondary" data-dialog-close>Anuluj</a>`,
    );
    // the lead's removal says who leads next
    const lead = await agents.admin.get(`/staff/proposals/${lp10}/assignments/${assignmentOf(lp10, KULTURA)}/removal`);
    expect(lead.body).toContain(`Jednostką wiodącą zostanie: ${ZDROWIE}.`);
  });

  it('with htmx (HX-Target: the dialog) the same question comes as a fragment', async () => {
    const a = assignmentOf(lp10, ZDROWIE)!;
    const res = await agents.admin.get(`/staff/proposals/${lp10}/assignments/${a}/removal`, {
      'hx-request': 'true',
      'hx-target': 'potwierdzenie-tresc',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.vary).toContain('HX-Target');
    expect(res.body).not.toContain('<html');
    expect(res.body).toContain(`<h2 id="potwierdzenie-h" tabindex="-1">Usunąć przekazanie do: ${ZDROWIE}?</h2>`);
    expect(res.body).toContain('id="potwierdzenie-opis"');
    expect(res.body).toContain('Tak, usuń przekazanie</button>');
  });

  it('"Tak, usuń" still needs the CSRF token; with it the assignment goes', async () => {
    const a = assignmentOf(lp10, ZDROWIE)!;
    const confirm = await agents.admin.get(`/staff/proposals/${lp10}/assignments/${a}/removal`);
    const before = writes();
    const forged = await agents.admin.post(`/proposals/${lp10}/assignments/${a}/removal`, {
      version: versionIn(confirm.body),
      _csrf: null,
    });
    expect(forged.statusCode).toBe(403);
    expect(writes()).toBe(before);
    const res = await agents.admin.post(`/proposals/${lp10}/assignments/${a}/removal`, {
      version: versionIn(confirm.body),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/staff/proposals/${lp10}?ok=usunieto-przekazanie#przekazania`);
    expect(assignmentOf(lp10, ZDROWIE)).toBeUndefined();
    // gone: the confirmation page now says so
    expect((await agents.admin.get(`/staff/proposals/${lp10}/assignments/${a}/removal`)).statusCode).toBe(404);
  });

  it('"Cofnij oznaczenie jako duplikat" asks first, and the removal still needs the CSRF token', async () => {
    const page = await agents.admin.get(`/staff/proposals/${lp11}`);
    const href = `/staff/proposals/${lp11}/duplicate/removal`;
    expect(page.body).toMatch(new RegExp(`<a href="${href}" class="button secondary"\\s+hx-get="${href}"`));
    const confirm = await agents.admin.get(href);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('<h1 id="potwierdzenie-h">Cofnąć oznaczenie LP 11 jako duplikatu LP 10?</h1>');
    expect(confirm.body).toContain('Tak, cofnij oznaczenie</button>');
    expect(confirm.body).toContain(`href="/staff/proposals/${lp11}#porzadkowanie"`);
    const fragment = await agents.admin.get(href, { 'hx-request': 'true', 'hx-target': 'potwierdzenie-tresc' });
    expect(fragment.body).not.toContain('<html');
    expect(fragment.body).toContain('<h2 id="potwierdzenie-h"');

    const before = writes();
    expect(
      (
        await agents.admin.post(`/proposals/${lp11}/duplicate/removal`, {
          version: versionIn(confirm.body),
          _csrf: null,
        })
      ).statusCode,
    ).toBe(403);
    expect(writes()).toBe(before);
    const res = await agents.admin.post(`/proposals/${lp11}/duplicate/removal`, { version: versionIn(confirm.body) });
    expect(res.statusCode).toBe(303);
    expect(status(lp11)).not.toBe('duplikat');
    // no longer a duplicate: nothing to confirm
    expect((await agents.admin.get(href)).statusCode).toBe(409);
  });
});

describe('route × role on the new routes', () => {
  it.each(ROLES)('GET confirmation pages as %s', async (role) => {
    const a = assignmentOf2();
    for (const url of [
      `/staff/proposals/${lp10}/assignments/${a}/removal`,
      `/staff/proposals/${lp10}/duplicate/removal`,
    ]) {
      const res = await agents[role].get(url);
      const expected = { anonymous: 303, unit: 403, reviewer: 403, admin: url.includes('duplicate') ? 409 : 200 }[role];
      expect(res.statusCode, `${role} ${url}`).toBe(expected);
      if (role === 'anonymous') expect(res.headers.location).toMatch(/^\/login\?next=/);
      const fragment = await agents[role].get(url, { 'hx-request': 'true', 'hx-target': 'potwierdzenie-tresc' });
      expect(fragment.statusCode, `${role} ${url} (htmx)`).toBe(role === 'anonymous' ? 401 : expected);
    }
  });

  it.each(ROLES)('POST preview and "Wróć do edycji" as %s', async (role) => {
    const before = writes();
    for (const url of [`/proposals/${lp7}/decision/preview`, `/proposals/${lp7}/decision/edit`]) {
      const res = await agents[role].post(url, { version: version(lp7), outcome: 'uwzgledniona', text: TEXT });
      const expected = { anonymous: 401, unit: 403, reviewer: 403, admin: 200 }[role];
      expect(res.statusCode, `${role} ${url}`).toBe(expected);
      expect((await agents[role].post(url, { version: version(lp7), _csrf: null })).statusCode).toBe(403);
    }
    expect(writes()).toBe(before);
  });
});

function assignmentOf2() {
  return (
    app.database.sqlite.prepare('SELECT id FROM assignments WHERE proposal_id = ? ORDER BY id').get(lp10) as {
      id: number;
    }
  ).id;
}
