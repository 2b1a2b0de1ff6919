import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMMUTABLE, SHORT_LIVED, hashedName, staticRoot } from '../../src/plugins/static.js';
import { Agent, build, createUser, type App } from '../helpers.js';

let app: App;
beforeAll(async () => {
  app = await build({ seed: false });
  await createUser(app, 'admin@torun.test', 'admin');
});
afterAll(async () => {
  await app.close();
});

const css = fs.readFileSync(path.join(staticRoot, 'style.css'));

/** The asset URLs the layout links. */
async function linked(): Promise<{ css: string; js: string }> {
  const page = (await app.inject('/login')).body;
  const cssUrl = /<link rel="stylesheet" href="(\/static\/[^"]+)">/.exec(page)?.[1];
  const jsUrl = /<script src="(\/static\/[^"]+)" defer><\/script>/.exec(page)?.[1];
  return { css: cssUrl!, js: jsUrl! };
}

describe('static files', () => {
  it('the layout links content-hashed names, served for a year as immutable', async () => {
    const urls = await linked();
    expect(urls.css).toMatch(/^\/static\/style\.[0-9a-f]{12}\.css$/);
    expect(urls.js).toMatch(/^\/static\/htmx\.min\.[0-9a-f]{12}\.js$/);
    const res = await app.inject(urls.css);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe(IMMUTABLE);
    expect(res.headers['cache-control']).toContain('max-age=31536000');
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.rawPayload.equals(css)).toBe(true);
    const js = await app.inject(urls.js);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe(IMMUTABLE);
  });

  it('names the hash after the content', async () => {
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(css).digest('hex').slice(0, 12);
    expect((await linked()).css).toBe(`/static/${hashedName('style.css', hash)}`);
    expect(hashedName('a/b.min.js', 'abc')).toBe('a/b.min.abc.js');
    expect(hashedName('LICENSE', 'abc')).toBe('LICENSE.abc');
  });

  it('keeps the unhashed names working with a short lifetime', async () => {
    const res = await app.inject('/static/style.css');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe(SHORT_LIVED);
    expect(res.rawPayload.equals(css)).toBe(true);
  });

  it('sends brotli or gzip by Accept-Encoding, compressed once, with its own ETag and a 304', async () => {
    const { css: url } = await linked();
    const plain = await app.inject(url);
    const br = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    const gz = await app.inject({ url, headers: { 'accept-encoding': 'gzip' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.brotliDecompressSync(br.rawPayload).equals(css)).toBe(true);
    expect(zlib.gunzipSync(gz.rawPayload).equals(css)).toBe(true);
    for (const res of [plain, br, gz]) expect(res.headers.vary).toBe('Accept-Encoding');
    const tags = [plain, br, gz].map((r) => r.headers.etag as string);
    expect(new Set(tags).size).toBe(3);
    // the same compressed bytes again (kept, not made anew)
    const again = await app.inject({ url, headers: { 'accept-encoding': 'br' } });
    expect(again.rawPayload.equals(br.rawPayload)).toBe(true);
    for (const [res, accept] of [
      [plain, ''],
      [br, 'br'],
      [gz, 'gzip'],
    ] as const) {
      const notModified = await app.inject({
        url,
        headers: { 'accept-encoding': accept, 'if-none-match': res.headers.etag as string },
      });
      expect(notModified.statusCode).toBe(304);
      expect(notModified.rawPayload.length).toBe(0);
      expect(notModified.headers['cache-control']).toBe(IMMUTABLE);
    }
  });

  it('answers 404 to unknown files, stale hashes and paths outside static/, 405 to other methods', async () => {
    for (const url of [
      '/static/nie-ma.css',
      '/static/style.000000000000.css',
      '/static/../package.json',
      '/static/%2e%2e/package.json',
      '/static/',
    ]) {
      expect((await app.inject(url)).statusCode, url).toBe(404);
    }
    const post = await app.inject({ method: 'POST', url: '/static/style.css' });
    expect(post.statusCode).toBe(405);
  });

  it('stays immutable for signed-in staff (no session work, no no-store)', async () => {
    const agent = new Agent(app);
    await agent.login('admin@torun.test');
    const { css: url } = await linked();
    const res = await agent.get(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe(IMMUTABLE);
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});
