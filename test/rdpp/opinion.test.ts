import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, type App } from '../helpers.js';

/** The RDPP's opinion: an admin records it on a form (GOV.UK errors), it appears on the progress page. */
let app: App;
let admin: Agent;
let reviewer: Agent;
let consultationId: number;
const opinions = () => app.database.sqlite.prepare('SELECT * FROM rdpp_opinions ORDER BY id').all();
const dataVersion = () =>
  (app.database.sqlite.prepare("SELECT value FROM meta WHERE key = 'data_version'").get() as { value: number })
    ?.value ?? 0;

beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@t.test', 'admin');
  await createUser(app, 'rdpp@t.test', 'reviewer');
  admin = new Agent(app);
  reviewer = new Agent(app);
  await admin.login('admin@t.test');
  await reviewer.login('rdpp@t.test');
  consultationId = (
    app.database.sqlite.prepare("SELECT id FROM consultations WHERE slug = 'torun-2026'").get() as {
      id: number;
    }
  ).id;
});
afterAll(async () => {
  await app.close();
});

describe('recording the RDPP’s opinion', () => {
  it('the progress page says none is recorded yet and offers the form to admins only', async () => {
    const page = await admin.get('/staff/progress');
    expect(page.body).toContain('Opinii RDPP jeszcze nie zapisano.');
    expect(page.body).toContain('href="/staff/rdpp-opinions/new?consultation=torun-2026"');
    const asReviewer = await reviewer.get('/staff/progress');
    expect(asReviewer.body).toContain('Opinii RDPP jeszcze nie zapisano.');
    expect(asReviewer.body).not.toContain('/staff/rdpp-opinions/new');
  });

  it('an empty form comes back with the error summary and field errors, writing nothing', async () => {
    const form = await admin.get('/staff/rdpp-opinions/new');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`name="consultationId" value="${consultationId}"`);
    const res = await admin.post('/rdpp-opinions', { consultationId, date: '', text: '   ', attachmentName: '' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<title>Błąd: Opinia RDPP – Konsultacje Toruń</title>');
    expect(res.body).toContain('id="error-summary"');
    expect(res.body).toContain('<a href="#date">Podaj datę opinii.</a>');
    expect(res.body).toContain('<a href="#text">Wpisz treść opinii RDPP.</a>');
    expect(res.body).toMatch(/id="text"[^>]*aria-describedby="text-error" aria-invalid="true"/);
    expect(opinions()).toEqual([]);
  });

  it('refuses an impossible or future date, control characters and a path as attachment name', async () => {
    const cases: [Record<string, string | number>, string][] = [
      [{ date: '2026-02-30', text: 'x' }, 'Taki dzień nie istnieje w kalendarzu.'],
      [{ date: '2099-01-01', text: 'x' }, 'Data opinii nie może być późniejsza niż dzisiejsza.'],
      [{ date: '2026-11-20', text: 'a\u202Eb' }, 'niedozwolone znaki sterujące'],
      [{ date: '2026-11-20', text: 'x', attachmentName: '../etc/passwd' }, 'Podaj samą nazwę pliku'],
    ];
    for (const [fields, message] of cases) {
      const res = await admin.post('/rdpp-opinions', { consultationId, ...fields });
      expect(res.statusCode, message).toBe(422);
      expect(res.body).toContain(message);
    }
    // typed values come back in the form
    const again = await admin.post('/rdpp-opinions', { consultationId, date: '2099-01-01', text: 'Treść zostaje.' });
    expect(again.body).toContain('>Treść zostaje.</textarea>');
    expect(opinions()).toEqual([]);
  });

  it('an unknown consultation is a 404', async () => {
    const res = await admin.post('/rdpp-opinions', { consultationId: 999, date: '2026-11-20', text: 'x' });
    expect(res.statusCode).toBe(404);
    expect((await admin.get('/staff/rdpp-opinions/new?consultation=nie-ma')).statusCode).toBe(404);
  });

  it('a valid opinion is saved, bumps the data version and appears on the progress page', async () => {
    const before = dataVersion();
    const res = await admin.post('/rdpp-opinions', {
      consultationId,
      date: '2026-11-20',
      text: 'Rada pozytywnie opiniuje przebieg konsultacji.\nUwagi w załączniku.',
      attachmentName: 'Uchwała RDPP nr 12/2026.pdf'.replace('/', '-'),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff/progress?consultation=torun-2026&ok=opinia#opinia-rdpp');
    expect(opinions()).toMatchObject([
      {
        consultation_id: consultationId,
        date: '2026-11-20',
        text: 'Rada pozytywnie opiniuje przebieg konsultacji.\nUwagi w załączniku.',
        attachment_name: 'Uchwała RDPP nr 12-2026.pdf',
      },
    ]);
    expect(dataVersion()).toBeGreaterThan(before);
    const page = await reviewer.get('/staff/progress');
    expect(page.body).toContain('Opinia z 20 listopada 2026');
    expect(page.body).toContain('Rada pozytywnie opiniuje przebieg konsultacji.\nUwagi w załączniku.');
    expect(page.body).toContain('Załącznik: Uchwała RDPP nr 12-2026.pdf');
    const confirmed = await admin.get(res.headers.location as string);
    expect(confirmed.body).toContain('Zapisano opinię RDPP.');
  });
});
