import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { negotiateEncoding } from '../../src/plugins/page-cache.js';
import { build, idOfLp, type App } from '../helpers.js';

let app: App;
beforeAll(async () => {
  app = await build();
});
afterAll(async () => {
  await app.close();
});

const bump = () =>
  app.database.sqlite
    .prepare(
      "INSERT INTO meta (key, value) VALUES ('data_version', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1",
    )
    .run();

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

/** The bytes a client ends up with after undoing the Content-Encoding. */
function decoded(res: Awaited<ReturnType<typeof get>>): Buffer {
  const encoding = res.headers['content-encoding'];
  if (encoding === 'br') return zlib.brotliDecompressSync(res.rawPayload);
  if (encoding === 'gzip') return zlib.gunzipSync(res.rawPayload);
  expect(encoding).toBeUndefined();
  return res.rawPayload;
}

describe('cached public responses, compressed', () => {
  const pages = () => ['/', '/?table=2', `/proposals/${idOfLp(app, 7)}`, '/units', '/export/proposals.json'];

  it('sends brotli, gzip or the plain bytes by Accept-Encoding, each decoding to the same bytes', async () => {
    for (const url of pages()) {
      const identity = await get(url);
      expect(identity.statusCode, url).toBe(200);
      expect(identity.headers['content-encoding'], url).toBeUndefined();
      expect(identity.headers.vary, url).toContain('Accept-Encoding');
      for (const [accept, expected] of [
        ['br', 'br'],
        ['gzip, deflate, br, zstd', 'br'],
        ['gzip', 'gzip'],
        ['gzip, deflate', 'gzip'],
        ['br;q=0, gzip', 'gzip'],
        ['identity', undefined],
        ['deflate', undefined],
      ] as const) {
        // twice: the first render of an encoding and the cached copy
        for (const attempt of [1, 2]) {
          const res = await get(url, { 'accept-encoding': accept });
          const what = `${url} ${accept} #${attempt}`;
          expect(res.statusCode, what).toBe(200);
          expect(res.headers['content-encoding'], what).toBe(expected);
          expect(res.headers.vary, what).toContain('Accept-Encoding');
          expect(Number(res.headers['content-length']), what).toBe(res.rawPayload.length);
          expect(decoded(res).equals(identity.rawPayload), what).toBe(true);
        }
      }
    }
  });

  it('compresses the list page to at most a quarter of its bytes', async () => {
    const identity = await get('/');
    const br = await get('/', { 'accept-encoding': 'br' });
    const gz = await get('/', { 'accept-encoding': 'gzip' });
    expect(br.rawPayload.length).toBeLessThanOrEqual(identity.rawPayload.length / 4);
    expect(gz.rawPayload.length).toBeLessThanOrEqual(identity.rawPayload.length / 4);
  });

  it('gives each encoding its own ETag, and answers 304 to any of them until the data changes', async () => {
    bump();
    const tags = new Map<string, string>();
    for (const accept of ['br', 'gzip', '']) {
      const res = await get('/?table=3', accept ? { 'accept-encoding': accept } : {});
      tags.set(accept, res.headers.etag as string);
    }
    expect(new Set(tags.values()).size).toBe(3);
    for (const [accept, etag] of tags) {
      expect(etag).toMatch(/^W\/".+"$/);
      const res = await get('/?table=3', { 'accept-encoding': accept, 'if-none-match': etag });
      expect(res.statusCode, accept).toBe(304);
      expect(res.rawPayload.length).toBe(0);
      expect(res.headers.etag).toBe(etag);
    }
    // a 304 also before the page is rendered again (a new process would have new ETags anyway)
    const other = await get('/?table=4', { 'accept-encoding': 'br' });
    const fresh = await app.inject({
      url: '/?table=4',
      headers: { 'accept-encoding': 'br', 'if-none-match': `"x", ${other.headers.etag}` },
    });
    expect(fresh.statusCode).toBe(304);

    bump();
    for (const [accept, etag] of tags) {
      const res = await get('/?table=3', { 'accept-encoding': accept, 'if-none-match': etag });
      expect(res.statusCode, accept).toBe(200);
      expect(res.headers.etag).not.toBe(etag);
    }
  });

  it('counts the compressed copies in the cache size', async () => {
    bump();
    await get('/');
    const plain = app.pageCacheStats();
    await get('/', { 'accept-encoding': 'br' });
    const after = app.pageCacheStats();
    expect(after.entries).toBe(plain.entries);
    expect(after.bytes).toBeGreaterThan(plain.bytes);
  });

  it('sends a HEAD request the headers of the encoding it asked for and no body', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/', headers: { 'accept-encoding': 'br' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.rawPayload.length).toBe(0);
  });
});

describe('negotiateEncoding', () => {
  it('takes the highest q-value of br and gzip, br on a tie, identity when neither is acceptable', () => {
    expect(negotiateEncoding(undefined)).toBe('identity');
    expect(negotiateEncoding('')).toBe('identity');
    expect(negotiateEncoding('br')).toBe('br');
    expect(negotiateEncoding('gzip, deflate, br')).toBe('br');
    expect(negotiateEncoding('GZIP')).toBe('gzip');
    expect(negotiateEncoding('x-gzip')).toBe('gzip');
    expect(negotiateEncoding('gzip;q=0.8, br;q=0.5')).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip;q=0')).toBe('identity');
    expect(negotiateEncoding('br;q=0')).toBe('identity');
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('*;q=0.1, br;q=0')).toBe('gzip');
    expect(negotiateEncoding('identity, deflate')).toBe('identity');
    expect(negotiateEncoding('br;q=junk, gzip')).toBe('gzip');
  });
});
