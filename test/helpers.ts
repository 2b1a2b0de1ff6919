import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyServerOptions } from 'fastify';
import { buildServer } from '../src/build.js';
import { importTorun2026 } from '../src/imports/seed.js';
import type { MailConfig } from '../src/config.js';

/**
 * Mail settings for tests: no background loop (tests call app.mailWorker.runOnce(now)), no coalescing window
 * unless asked, a fixed sender domain.
 */
export function testMailConfig(databasePath: string, mail: Partial<MailConfig> = {}): MailConfig {
  return {
    dir: path.join(path.dirname(databasePath), 'mail'),
    from: 'Konsultacje Toruń <konsultacje@torun.test>',
    replyTo: 'bdim@torun.test',
    coalesceSeconds: 0,
    retryBaseSeconds: 60,
    maxAttempts: 8,
    retentionDays: 30,
    leaseSeconds: 120,
    sendTimeoutSeconds: 30,
    worker: false,
    ...mail,
  };
}

/** A fresh, migrated SQLite file path in its own temporary folder. */
export function tempDatabasePath(name = 'test'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-'));
  return path.join(dir, `${name}.sqlite`);
}

/** Builds the app on a fresh SQLite file; `seed` imports the shipped Toruń dataset. */
export async function build(
  opts: {
    seed?: boolean;
    databasePath?: string;
    loginRateLimit?: number;
    sessionIdleMinutes?: number;
    /** the public address (links in mails and the export); cookies follow each request's connection */
    baseUrl?: string;
    trustProxy?: false | number | string[];
    /** outgoing mail (e.g. `{ smtpUrl }` from test/notifications/smtp.ts); unset: files, no worker loop */
    mail?: Partial<MailConfig>;
    /**
     * seed the Toruń unit groups' members from data/units.csv, as `npm start` does; off by default because the
     * tests written before the groups had members build on empty groups
     */
    groupMembers?: boolean;
    /** Fastify's logger option, e.g. `{ level: 'trace', stream }` to read what the app logs */
    logger?: FastifyServerOptions['logger'];
  } = {},
) {
  const databasePath = opts.databasePath ?? tempDatabasePath();
  const app = await buildServer(
    {
      databasePath,
      baseUrl: opts.baseUrl ?? 'http://127.0.0.1:3000',
      viewCache: true,
      passwordHashCost: 2 ** 10,
      loginRateLimit: opts.loginRateLimit ?? 1000,
      sessionIdleMinutes: opts.sessionIdleMinutes,
      trustProxy: opts.trustProxy,
      ...(opts.mail ? { mail: testMailConfig(databasePath, opts.mail) } : {}),
    },
    opts.logger === undefined ? {} : { logger: opts.logger },
  );
  if (opts.seed ?? true) importTorun2026(app.database.db, { groupMembers: opts.groupMembers ?? false });
  return app;
}

export type App = Awaited<ReturnType<typeof build>>;

/** The proposal id of an LP in the Toruń consultation. */
export function idOfLp(app: App, lp: number): number {
  const row = app.database.sqlite
    .prepare(
      'SELECT p.id FROM proposals p JOIN consultations c ON c.id = p.consultation_id WHERE c.slug = ? AND p.lp = ?',
    )
    .get('torun-2026', lp) as { id: number } | undefined;
  if (!row) throw new Error(`no LP ${lp}`);
  return row.id;
}

import type { Role } from '../src/db/schema/accounts.js';
import { upsertUser } from '../src/admin/accounts.js';

/** Cheap scrypt for tests; production uses DEFAULT_SCRYPT_COST. */
export const TEST_SCRYPT_COST = 2 ** 10;
export const TEST_PASSWORD = 'Tajne-Haslo-123';

export async function createUser(app: App, email: string, role: Role, unitNames: string[] = []) {
  const { id } = await upsertUser(
    app.database.db,
    { email, role, unitNames, password: TEST_PASSWORD },
    TEST_SCRYPT_COST,
  );
  return id;
}

type Response = Awaited<ReturnType<App['inject']>>;

/** A browser-like client over app.inject: keeps cookies, finds the CSRF token in the last page. */
export class Agent {
  cookies = new Map<string, string>();
  csrf = '';

  /**
   * `headers` go with every request (e.g. the `X-Forwarded-Proto` of a TLS proxy); `remoteAddress` is the
   * address the requests come from.
   */
  constructor(
    readonly app: App,
    readonly opts: { headers?: Record<string, string>; remoteAddress?: string } = {},
  ) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response) {
    const set = res.headers['set-cookie'];
    for (const c of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair] = c.split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.cookies.delete(name!);
      else this.cookies.set(name!, value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (token) this.csrf = token[1]!;
    return res;
  }

  async get(url: string, headers: Record<string, string> = {}) {
    return this.remember(
      await this.app.inject({
        method: 'GET',
        url,
        remoteAddress: this.opts.remoteAddress,
        headers: { ...this.opts.headers, cookie: this.cookieHeader(), ...headers },
      }),
    );
  }

  /** POSTs a form; the CSRF token from the last page is added unless `_csrf` is given (null: none). */
  async post(
    url: string,
    form: Record<string, string | string[] | number | null | undefined> = {},
    headers: Record<string, string> = {},
  ) {
    const body = new URLSearchParams();
    const withToken = { _csrf: this.csrf, ...form };
    for (const [k, v] of Object.entries(withToken)) {
      if (v === null || v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) body.append(k, String(item));
    }
    return this.remember(
      await this.app.inject({
        method: 'POST',
        url,
        payload: body.toString(),
        remoteAddress: this.opts.remoteAddress,
        headers: {
          ...this.opts.headers,
          'content-type': 'application/x-www-form-urlencoded',
          cookie: this.cookieHeader(),
          ...headers,
        },
      }),
    );
  }

  async login(email: string, password = TEST_PASSWORD) {
    await this.get('/login');
    const res = await this.post('/login', { email, password });
    if (res.statusCode !== 303) throw new Error(`login failed for ${email}: ${res.statusCode}`);
    await this.get('/staff');
    return res;
  }
}

/** A unit's id by its exact name. */
export function unitIdByName(app: App, name: string): number {
  const row = app.database.sqlite.prepare('SELECT id FROM units WHERE name = ?').get(name) as
    | { id: number }
    | undefined;
  if (!row) throw new Error(`no unit ${name}`);
  return row.id;
}

/** Every row of the tables a staff action may write, to assert that a refusal wrote nothing. */
export function workflowSnapshot(app: App): string {
  return JSON.stringify(
    ['assignments', 'positions', 'position_versions', 'decisions', 'events', 'proposals', 'workshop_tables'].map((t) =>
      app.database.sqlite.prepare(`SELECT * FROM ${t}`).all(),
    ),
  );
}
