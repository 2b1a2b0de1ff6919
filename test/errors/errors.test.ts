import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, idOfLp, type App, workflowSnapshot } from '../helpers.js';

/** Words of zod's, Fastify's and Node's English messages that must never reach a user. */
const ENGLISH =
  /Invalid|expected|received|Too (small|big)|must match|Bad Request|Not Found|exceeding|Method Not Allowed/;

let app: App;
let admin: Agent;
let pid: number;

beforeAll(async () => {
  app = await build();
  pid = idOfLp(app, 16);
  await createUser(app, 'admin@t.test', 'admin');
  admin = new Agent(app);
  await admin.login('admin@t.test');
});
afterAll(async () => {
  await app.close();
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

function expectPolishPage(res: Awaited<ReturnType<typeof get>>, status: number, text: string | RegExp) {
  expect(res.statusCode, res.body.slice(0, 300)).toBe(status);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.body).toMatch(typeof text === 'string' ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : text);
  expect(res.body).toContain('<html lang="pl"');
  expect(res.body).not.toMatch(ENGLISH);
}

describe('bad addresses and query strings are answered in Polish', () => {
  it('a proposal id that is not a number: 404', async () => {
    expectPolishPage(await get('/proposals/abc'), 404, 'Nie ma propozycji o takim numerze.');
  });

  it('page=0: 400 naming the parameter', async () => {
    const tooSmall = 'Nieprawidłowa wartość parametru „page”: wartość musi wynosić co najmniej 1.';
    expectPolishPage(await get('/?page=0'), 400, tooSmall);
    expectPolishPage(await get('/?page=dwa'), 400, 'Nieprawidłowa wartość parametru „page”: podaj liczbę.');
  });

  it('a repeated parameter: 400 saying it may appear once', async () => {
    expectPolishPage(await get('/?q=a&q=b'), 400, 'Parametr „q” może wystąpić w adresie tylko raz.');
  });

  it('a unit slug with capitals: 404', async () => {
    expectPolishPage(await get('/units/NOPE'), 404, 'Nie ma takiej jednostki w katalogu.');
  });

  it('an over-long route parameter: 414', async () => {
    expectPolishPage(await get(`/units/${'a'.repeat(500)}`), 414, 'Adres strony jest zbyt długi.');
  });

  it('a malformed percent-encoding: 400', async () => {
    expectPolishPage(await get('/proposals/%E0%A4%A'), 400, 'Adres zawiera nieprawidłowe znaki.');
  });

  it('the export and JSON-only clients get the same words as JSON', async () => {
    const exp = await get('/export/proposals.json?page=0&q=a&q=b');
    expect(exp.statusCode).toBe(400);
    expect(exp.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(exp.body)).toEqual({
      statusCode: 400,
      error: 'Parametr „q” może wystąpić w adresie tylko raz.',
    });
    const json = await get('/nie-ma-takiej', { accept: 'application/json' });
    expect(json.statusCode).toBe(404);
    expect(JSON.parse(json.body).error).toContain('Nie ma strony pod tym adresem');
    // a browser (which also accepts */*) still gets the page
    const browser = { accept: 'text/html,application/json;q=0.9,*/*;q=0.8' };
    expectPolishPage(await get('/nie-ma-takiej', browser), 404, 'Nie ma strony');
  });
});

describe('ids are parsed strictly', () => {
  it.each(['0x10', '1e1', '016', '+16', '0', '16.0', ' 16', '99999999999'])('/proposals/%s is 404', async (id) => {
    const res = await get(`/proposals/${encodeURIComponent(id)}`);
    expectPolishPage(res, 404, 'Nie ma propozycji o takim numerze.');
  });

  it('the plain number is the proposal', async () => {
    const res = await get(`/proposals/${pid}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('LP 16');
  });

  it('staff pages and forms refuse them too', async () => {
    expect((await admin.get(`/staff/proposals/0x${pid.toString(16)}`)).statusCode).toBe(404);
    expect((await admin.get('/staff/users/01')).statusCode).toBe(404);
    await admin.get(`/staff/proposals/${pid}`);
    const before = workflowSnapshot(app);
    const res = await admin.post(`/proposals/0x${pid.toString(16)}/notes`, { text: 'notatka' });
    expect(res.statusCode).toBe(404);
    expect(workflowSnapshot(app)).toBe(before);
  });
});

describe('wrong methods on known paths: 405 with Allow', () => {
  const cases: [string, string, string][] = [
    ['PUT', '/', 'GET, HEAD'],
    ['DELETE', '/', 'GET, HEAD'],
    ['PATCH', '/', 'GET, HEAD'],
    ['PUT', '/proposals/16', 'GET, HEAD'],
    ['DELETE', '/proposals/16', 'GET, HEAD'],
    ['DELETE', '/login', 'GET, HEAD, POST'],
    ['PUT', '/export/proposals.csv', 'GET, HEAD'],
    ['GET', '/proposals/16/notes', 'POST'],
  ];
  it.each(cases)('%s %s', async (method, url, allow) => {
    const res = await app.inject({ method: method as 'PUT', url });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.body).toContain('Pod tym adresem nie można wykonać tej operacji');
    expect(res.body).not.toMatch(ENGLISH);
  });

  it('405 wins over the CSRF check for a signed-in user too', async () => {
    const cookie = [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await app.inject({ method: 'DELETE', url: `/staff/proposals/${pid}`, headers: { cookie } });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('an unknown path is 404 whatever the method (no CSRF 403)', async () => {
    for (const method of ['POST', 'PUT', 'DELETE'] as const) {
      const res = await app.inject({ method, url: '/nie-ma-takiej' });
      expect(res.statusCode, method).toBe(404);
      expect(res.body).toContain('Nie ma strony pod tym adresem');
    }
  });

  it('JSON paths get a JSON 405', async () => {
    const res = await app.inject({ method: 'POST', url: '/export/proposals.json' });
    expect(res.statusCode).toBe(405);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body).statusCode).toBe(405);
  });
});

describe('control characters in free text', () => {
  const controls = ['\u0000', '\u0007', '\u001b', '\u007f', '\u202e', '\u202a', '\u2066', '\u2069', '\u200f'];

  it.each(controls.map((c) => [c.codePointAt(0)!.toString(16).padStart(4, '0'), c]))(
    'a note with U+%s is refused with a Polish field error, nothing written',
    async (_code, c) => {
      await admin.get(`/staff/proposals/${pid}`);
      const before = workflowSnapshot(app);
      const res = await admin.post(`/proposals/${pid}/notes`, { text: `notatka ${c}odwrócona` });
      expect(res.statusCode).toBe(422);
      expect(res.body).toContain('Tekst zawiera niedozwolone znaki sterujące');
      expect(res.body).toContain('href="#note-text"');
      expect(workflowSnapshot(app)).toBe(before);
    },
  );

  it('newlines (CRLF from a textarea) and tabs are kept', async () => {
    await admin.get(`/staff/proposals/${pid}`);
    const res = await admin.post(`/proposals/${pid}/notes`, { text: 'pierwszy wiersz\r\n\tdrugi wiersz' });
    expect(res.statusCode).toBe(303);
  });

  it('other staff forms refuse them too', async () => {
    await admin.get('/staff/units/new');
    const unit = await admin.post('/staff/units', { name: 'Wydział \u202eNowy', kind: 'wydział', email: '' });
    expect(unit.statusCode).toBe(422);
    expect(unit.body).toContain('Tekst zawiera niedozwolone znaki sterujące');
    await admin.get('/staff/users/new');
    const user = await admin.post('/staff/users', {
      email: 'x@t.test',
      name: 'Jan\u0000',
      role: 'admin',
      password: 'bardzo-dlugie-haslo',
    });
    expect(user.statusCode).toBe(422);
    expect(user.body).toContain('Tekst zawiera niedozwolone znaki sterujące');
    await admin.get(`/staff/proposals/${pid}`);
    const correction = await admin.post(`/proposals/${pid}/corrections`, {
      version: String(
        (app.database.sqlite.prepare('SELECT version FROM proposals WHERE id = ?').get(pid) as { version: number })
          .version,
      ),
      field: 'tableTheme',
      value: 'Temat\u2067',
      reason: 'nieczytelny skan',
    });
    expect(correction.statusCode).toBe(422);
    expect(correction.body).toContain('Tekst zawiera niedozwolone znaki sterujące');
  });

  it('a search for them is a Polish 400', async () => {
    expectPolishPage(await get('/?q=%E2%80%AEabc'), 400, 'Tekst zawiera niedozwolone znaki sterujące');
  });
});

describe('zod messages a schema does not word itself', () => {
  it('come out in Polish on staff pages, naming the query parameter', async () => {
    const res = await admin.get(`/staff/proposals/${pid}/assignments/new?version=0`);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Nieprawidłowa wartość parametru „version”: wartość musi wynosić co najmniej 1.');
    expect(res.body).not.toMatch(ENGLISH);
  });
});
