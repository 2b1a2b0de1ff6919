import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type App } from '../helpers.js';

let app: App;
beforeAll(async () => {
  app = await build({ seed: false });
});
afterAll(async () => {
  await app.close();
});

/** What @fastify/helmet set on every response when it ran per request (captured before the change). */
const EXPECTED = {
  'content-security-policy':
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'none';" +
    "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

describe('security headers', () => {
  it('sends the same set on pages, static files, forms, errors and 405s', async () => {
    for (const [method, url] of [
      ['GET', '/'],
      ['GET', '/login'],
      ['GET', '/static/style.css'],
      ['GET', '/nie-ma'],
      ['DELETE', '/'],
      ['GET', '/healthz'],
    ] as const) {
      const res = await app.inject({ method, url });
      for (const [name, value] of Object.entries(EXPECTED))
        expect(res.headers[name], `${method} ${url} ${name}`).toBe(value);
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
    }
  });

  it('lets the open-data export be read cross-origin', async () => {
    const res = await app.inject('/export/proposals.json');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['content-security-policy']).toBe(EXPECTED['content-security-policy']);
  });
});
