import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldErrors, hasControlCharacters, plainText, strictId } from '../../src/lib/forms.js';
import { plural, storageTrouble, wantsJson } from '../../src/lib/errors.js';
import { RouteMethods } from '../../src/lib/http.js';

describe('zod issues without a message of their own', () => {
  const form = z.object({
    count: z.coerce.number().int().min(1).max(10),
    name: z.string().trim().min(2).max(5),
    kind: z.enum(['a', 'b']),
    email: z.email(),
    tags: z.array(z.string()).min(1),
  });
  const messages = (value: unknown) => fieldErrors(form.safeParse(value).error!).byField;

  it('are worded in Polish by the global error map', () => {
    expect(messages({ count: '0', name: 'x', kind: 'c', email: 'nie', tags: [] })).toEqual({
      count: 'Wartość musi wynosić co najmniej 1.',
      name: 'Wpisz co najmniej 2 znaki.',
      kind: 'Wybierz jedną z dozwolonych wartości.',
      email: 'Podaj prawidłowy adres e-mail.',
      tags: 'Wybierz co najmniej 1.',
    });
    expect(messages({ count: 'abc', name: 'abcdefgh', kind: ['a', 'b'], email: 'a@b.pl', tags: ['x'] })).toEqual({
      count: 'Podaj liczbę.',
      name: 'Tekst może mieć najwyżej 5 znaków.',
      kind: 'Wybierz jedną z dozwolonych wartości.',
    });
    expect(messages({ count: 11, email: 'a@b.pl', tags: ['x'], kind: 'a' })).toEqual({
      count: 'Wartość może wynosić najwyżej 10.',
      name: 'To pole jest wymagane.',
    });
  });

  it('leave a schema’s own message alone', () => {
    const own = z.object({ n: z.coerce.number({ error: 'Numer musi być liczbą.' }) });
    expect(fieldErrors(own.safeParse({ n: 'x' }).error!).byField).toEqual({ n: 'Numer musi być liczbą.' });
  });

  it('Polish plurals', () => {
    const forms = [1, 2, 4, 5, 12, 14, 22, 25, 200, 1000].map((n) => `${n} ${plural(n, 'znak', 'znaki', 'znaków')}`);
    expect(forms).toEqual([
      '1 znak',
      '2 znaki',
      '4 znaki',
      '5 znaków',
      '12 znaków',
      '14 znaków',
      '22 znaki',
      '25 znaków',
      '200 znaków',
      '1000 znaków',
    ]);
  });
});

describe('strictId', () => {
  const id = strictId('zły');
  it('accepts plain positive decimal numbers only', () => {
    for (const ok of ['1', '16', '2147483648', '9999999999', 16]) {
      expect(id.safeParse(ok).data, String(ok)).toBe(Number(ok));
    }
    const bads = [
      '0',
      '016',
      '0x10',
      '1e1',
      '+16',
      '-1',
      '16.0',
      ' 16',
      '16 ',
      '',
      '10000000000',
      1.5,
      -3,
      null,
      ['1'],
    ];
    for (const bad of bads) expect(id.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});

describe('control characters', () => {
  it('C0/C1 controls and bidi controls are found; tab, newlines and Polish letters are not', () => {
    const controls = [
      '\u0000',
      '\u0007',
      '\u000b',
      '\u001f',
      '\u007f',
      '\u0085',
      '\u061c',
      '\u200e',
      '\u202a',
      '\u202e',
      '\u2066',
      '\u2069',
    ];
    for (const c of controls) expect(hasControlCharacters(`a${c}b`), c.codePointAt(0)!.toString(16)).toBe(true);
    expect(hasControlCharacters('Zażółć gęślą jaźń\t„cytat” – myślnik\r\nnowy wiersz…')).toBe(false);
  });

  it('plainText refuses them with the Polish message', () => {
    const r = plainText(z.string().trim()).safeParse('abc\u202e');
    expect(r.error?.issues[0]?.message).toContain('niedozwolone znaki sterujące');
  });
});

describe('wantsJson', () => {
  const req = (url: string, accept?: string) => ({ url, headers: accept ? { accept } : {} });
  it('for the export, the health check and JSON-only clients', () => {
    expect(wantsJson(req('/export/proposals.csv'))).toBe(true);
    expect(wantsJson(req('/healthz'))).toBe(true);
    expect(wantsJson(req('/healthz?x=1'))).toBe(true);
    expect(wantsJson(req('/healthzz'))).toBe(false);
    expect(wantsJson(req('/', 'application/json'))).toBe(true);
    expect(wantsJson(req('/', 'application/problem+json, application/json; q=0.5'))).toBe(true);
    expect(wantsJson(req('/', 'application/json, */*'))).toBe(false);
    expect(wantsJson(req('/', 'text/html'))).toBe(false);
    expect(wantsJson(req('/'))).toBe(false);
  });
});

describe('storageTrouble', () => {
  it('maps SQLite’s full, read-only and busy errors (also as a cause) to 503', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(storageTrouble(err('SQLITE_FULL'))?.message).toMatch(/^Brak miejsca na dysku serwera/);
    expect(storageTrouble(err('SQLITE_READONLY_DBMOVED'))?.statusCode).toBe(503);
    expect(storageTrouble(new Error('wrapped', { cause: err('SQLITE_BUSY') }))?.retryAfterSeconds).toBe(5);
    expect(storageTrouble(err('SQLITE_CONSTRAINT_UNIQUE'))).toBeNull();
    expect(storageTrouble(new Error('x'))).toBeNull();
  });
});

describe('RouteMethods', () => {
  const routes = new RouteMethods();
  routes.add('GET', '/');
  routes.add(['GET', 'POST'], '/login');
  routes.add('POST', '/proposals/:id/notes');
  routes.add('GET', '/proposals/:id');
  routes.add('GET', '/static/*');
  it('knows which methods a concrete path answers', () => {
    expect(routes.allowed('/')).toEqual(['GET', 'HEAD']);
    expect(routes.allowed('/login?next=/staff')).toEqual(['GET', 'HEAD', 'POST']);
    expect(routes.allowed('/proposals/7/notes')).toEqual(['POST']);
    expect(routes.allowed('/proposals/7')).toEqual(['GET', 'HEAD']);
    expect(routes.allowed('/static/a/b.css')).toEqual(['GET', 'HEAD']);
    expect(routes.allowed('/proposals/')).toEqual([]);
    expect(routes.allowed('/proposals/7/')).toEqual([]);
    expect(routes.allowed('/nope')).toEqual([]);
  });
});
