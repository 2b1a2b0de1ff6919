import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactText, redactUrl } from '../../src/lib/log.js';
import { Agent, build, idOfLp, type App } from '../helpers.js';
import { followConfirmed, token } from '../subscriptions/helpers.js';

describe('redactUrl: the request URL as logged', () => {
  it('hides the value of `token` and other secret parameters, keeping the rest of the URL as it was', () => {
    expect(redactUrl('/subscriptions/manage?token=abcDEF_-0123456789abcdef&ok=frequency')).toBe(
      '/subscriptions/manage?token=[redacted]&ok=frequency',
    );
    expect(redactUrl('/subscriptions/unsubscribe?TOKEN=abc')).toBe('/subscriptions/unsubscribe?TOKEN=[redacted]');
    expect(redactUrl('/x?a=1&tok%65n=abc&b=%C5%82')).toBe('/x?a=1&tok%65n=[redacted]&b=%C5%82');
    expect(redactUrl('/x?token=a&token=b')).toBe('/x?token=[redacted]&token=[redacted]');
    expect(redactUrl('/x?password=p%26q"r&_csrf=c&api_key=k&session_id=s&code=1&b=2')).toBe(
      '/x?password=[redacted]&_csrf=[redacted]&api_key=[redacted]&session_id=[redacted]&code=[redacted]&b=2',
    );
    for (const url of ['/', '/proposals/7', '/?q=token&table=1&status=nowa', '/?consultation=torun-2026&page=2']) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  it('hides them in URLs nested in a parameter, encoded once or twice', () => {
    expect(redactUrl('/login?next=%2Fsubscriptions%2Fmanage%3Ftoken%3Dabc%26ok%3Dremoved')).toBe(
      '/login?next=%2Fsubscriptions%2Fmanage%3Ftoken%3D[redacted]%26ok%3Dremoved',
    );
    const twice = encodeURIComponent(`/login?next=${encodeURIComponent('/subscriptions/manage?token=abc')}`);
    expect(redactUrl(`/login?next=${twice}`)).not.toContain('abc');
    expect(redactUrl('/login?next=/subscriptions/manage?token=abc')).not.toContain('abc');
  });
});

describe('redactText: URLs quoted in messages', () => {
  it('hides secret values in plain, encoded and JSON-quoted URLs, and leaves other text alone', () => {
    expect(redactText('Route GET:/subscriptions/confirm?token=xyz not found')).toBe(
      'Route GET:/subscriptions/confirm?token=[redacted] not found',
    );
    expect(redactText('{"url":"/login?next=%2Fs%3Ftoken%3Dxyz%26ok%3D1","msg":"a=b"}')).toBe(
      '{"url":"/login?next=%2Fs%3Ftoken%3D[redacted]%26ok%3D1","msg":"a=b"}',
    );
    expect(redactText('in the "/x?next=/y?token=xyz" route')).toBe('in the "/x?next=/y?token=[redacted]" route');
    const plain = '{"level":30,"msg":"incoming request","req":{"url":"/?q=szkolenia&table=2"}}';
    expect(redactText(plain)).toBe(plain);
  });
});

describe('the request log of the app', () => {
  const lines: string[] = [];
  let app: App;
  beforeAll(async () => {
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    // trace: every level the app and Fastify log at
    app = await build({ logger: { level: 'trace', stream } });
  });
  afterAll(async () => {
    await app.close();
  });

  it('never holds a subscription token, at any level, while the requests stay recognisable', async () => {
    const agent = new Agent(app);
    const sub = await followConfirmed(agent, { kind: 'proposal', id: idOfLp(app, 7) }, 'dziennik@example.pl');
    const unsubscribe = token(app, 'manage', sub);
    const secrets = [sub.manageToken, unsubscribe];
    expect((await agent.get(`/subscriptions/manage?token=${sub.manageToken}`)).statusCode).toBe(200);
    expect((await agent.get(`/subscriptions/manage?token=${sub.manageToken}&ok=frequency`)).statusCode).toBe(200);
    expect((await agent.get(`/subscriptions/unsubscribe?token=${unsubscribe}`)).statusCode).toBe(200);
    // a link to a page that is not there, and the login page asked to come back to a manage link
    expect((await agent.get(`/nie-ma-takiej-strony?token=${sub.manageToken}`)).statusCode).toBe(404);
    const next = encodeURIComponent(`/subscriptions/manage?token=${sub.manageToken}`);
    expect((await agent.get(`/login?next=${next}`)).statusCode).toBe(200);
    // RFC 8058 one-click, as a mail client sends it
    const oneClick = await app.inject({
      method: 'POST',
      url: `/subscriptions/unsubscribe?token=${unsubscribe}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode).toBe(200);

    const log = lines.join('\n');
    for (const secret of secrets) expect(log).not.toContain(secret);
    const entries = lines.map((l) => JSON.parse(l) as { msg?: string; req?: { method: string; url: string } });
    const urls = entries.filter((e) => e.msg === 'incoming request').map((e) => `${e.req!.method} ${e.req!.url}`);
    expect(urls).toEqual(
      expect.arrayContaining([
        'GET /subscriptions/manage?token=[redacted]',
        'GET /subscriptions/manage?token=[redacted]&ok=frequency',
        'GET /subscriptions/unsubscribe?token=[redacted]',
        'GET /nie-ma-takiej-strony?token=[redacted]',
        'GET /login?next=%2Fsubscriptions%2Fmanage%3Ftoken%3D[redacted]',
        'POST /subscriptions/unsubscribe?token=[redacted]',
        'POST /subscriptions/confirm',
      ]),
    );
  });
});
