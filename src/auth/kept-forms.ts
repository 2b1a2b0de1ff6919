import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, inArray, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db, DbOrTx } from '../db/client.js';
import { keptForms, proposals } from '../db/schema/index.js';
import { type FieldLimit, ID_PATTERN } from '../lib/forms.js';
import type { Actor } from './policy.js';
import { clearCookie, readCookie, setSiteCookie } from './cookies.js';

/**
 * No lost work: a staff form that arrives after its session has ended (or with a CSRF token the
 * ended session made stale) is not refused with its text thrown away. Its fields are kept here for a
 * day, the browser gets the random key in a cookie, and once the same person has logged in again the
 * form's page shows the fields filled in as they were sent – not submitted: they send it again, with
 * a fresh CSRF token.
 *
 * Which forms are kept is declared on their routes (route config `keptForm`, beside `csrf`): this
 * module is the store, its cookies and its answers, and knows no form.
 */

/** The browser's key to its kept form (random, httpOnly; the database keeps only its hash). */
export const KEPT_COOKIE = 'kept_form';
/**
 * Who last logged in in this browser (signed, httpOnly, until the absolute session limit): the
 * session cookie expires with the session, and a form sent after that still belongs to this account.
 */
export const LAST_USER_COOKIE = 'last_user';
export const KEPT_TTL_MS = 24 * 3_600_000;
/**
 * What is kept is bounded by whose it is, so that nobody can fill the store for anyone else: a copy holds
 * only its form's own fields, each cut to the longest value the form takes, and never more than
 * MAX_FORM_BYTES; an account keeps at most MAX_OWNER_FORMS copies and MAX_OWNER_BYTES (its oldest go first),
 * and so does each address for the copies of no known account, which together are capped too (a flood from
 * many addresses replaces only such copies, never an account's).
 */
export const KEPT_LIMITS = {
  formBytes: 100_000,
  ownerForms: 20,
  ownerBytes: 1_000_000,
  unknownAccountForms: 500,
  unknownAccountBytes: 10_000_000,
} as const;

export const KEPT_MESSAGES = {
  login: 'Sesja wygasła. Zaloguj się ponownie – Twój tekst został zachowany.',
  refused:
    'Formularz wygasł (na przykład po ponownym zalogowaniu w innej karcie), więc nic nie zostało zapisane. ' +
    'Twój tekst został zachowany: wróć do formularza i wyślij go ponownie.',
  restored:
    'Przywróciliśmy tekst wpisany przed wygaśnięciem sesji. Nie został jeszcze zapisany: sprawdź go i wyślij formularz ponownie.',
} as const;

export type KeptForm = typeof keptForms.$inferSelect;
export type KeptValues = Record<string, string | string[]>;

/**
 * Which form of which proposal page a request posts; `autosaveTarget`: the htmx target of the form's
 * autosave, a request that happens while someone types and must not navigate away.
 */
export type KeptFormTarget = { proposalId: number; formId: string; autosaveTarget?: string };

/** A kept form as its declaration judges it: which form of which proposal, and what was sent. */
export type KeptFormEntry = Omit<KeptFormTarget, 'autosaveTarget'> & { values: KeptValues };

/**
 * What a route whose form is kept after the session ends declares, in its route config (`keptForm`),
 * as it declares `csrf`: so a new form cannot be forgotten in a list kept elsewhere.
 */
export type KeptFormRoute = {
  /** which form of which proposal page this request posts; null: none whose text is kept (a malformed id) */
  target(params: unknown, values: KeptValues): KeptFormTarget | null;
  /** whether this account may send that form (and see its page): a copy is kept for, and given to, only them */
  mayPost(db: DbOrTx, actor: NonNullable<Actor>, entry: KeptFormEntry): boolean;
  /** the form's own fields and the longest value each takes (lib/forms.ts fieldLimits): nothing else is kept */
  fields: Record<string, FieldLimit>;
};

declare module 'fastify' {
  interface FastifyContextConfig {
    keptForm?: KeptFormRoute;
  }
  interface FastifyInstance {
    /** the routes that declare `keptForm`, by their pattern (a kept form names the route it was sent to) */
    keptFormRoutes: ReadonlyMap<string, KeptFormRoute>;
  }
}

/** Collects, as they are registered, the routes that declare a kept form (app.keptFormRoutes). */
export function collectKeptFormRoutes(app: FastifyInstance): void {
  const routes = new Map<string, KeptFormRoute>();
  app.decorate('keptFormRoutes', routes);
  app.addHook('onRoute', (route) => {
    const kept = (route.config as { keptForm?: KeptFormRoute } | undefined)?.keptForm;
    if (kept) routes.set(route.url, kept);
  });
}

/** The staff page a proposal's forms are on: the only place a kept form ever sends anyone back to. */
export function proposalPagePath(proposalId: number): string {
  return `/staff/proposals/${proposalId}`;
}

/** A form body's fields, without the CSRF token: strings and lists of strings only. */
export function formValues(body: unknown): KeptValues {
  const values: KeptValues = {};
  if (!body || typeof body !== 'object') return values;
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (name === '_csrf') continue;
    if (typeof value === 'string') values[name] = value;
    else if (Array.isArray(value)) values[name] = value.filter((v): v is string => typeof v === 'string');
  }
  return values;
}

/** What a copy of a form holds: only its own fields, each at most as long (and as many) as the form takes. */
export function boundedValues(values: KeptValues, fields: Record<string, FieldLimit>): KeptValues {
  const bounded: KeptValues = {};
  for (const [name, value] of Object.entries(values)) {
    const limit = fields[name];
    if (!limit) continue;
    bounded[name] = Array.isArray(value)
      ? value.slice(0, limit.items).map((v) => v.slice(0, limit.length))
      : value.slice(0, limit.length);
  }
  return bounded;
}

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Makes room for a new copy of `bytes` among the copies `whose` selects: the newest stay as long as they fit
 * beside it (at most `forms` copies and `maxBytes` together), the older ones go.
 */
function makeRoom(tx: DbOrTx, whose: SQL | undefined, bytes: number, forms: number, maxBytes: number) {
  const held = tx
    .select({ id: keptForms.id, bytes: sql<number>`length(CAST(${keptForms.fields} AS BLOB))` })
    .from(keptForms)
    .where(whose)
    .orderBy(desc(keptForms.createdAt), desc(sql`rowid`))
    .all();
  let count = 1;
  let total = bytes;
  const drop: string[] = [];
  for (const row of held) {
    if (drop.length || count + 1 > forms || total + row.bytes > maxBytes) drop.push(row.id);
    else {
      count += 1;
      total += row.bytes;
    }
  }
  for (let i = 0; i < drop.length; i += 500)
    tx.delete(keptForms)
      .where(inArray(keptForms.id, drop.slice(i, i + 500)))
      .run();
}

/**
 * Keeps a form's fields (bounded already: boundedValues) under a new random key (returned), bound to the
 * account when known, else to the address it came from; older copies of the same account or address make
 * room (KEPT_LIMITS). The browser's previous kept form, if any, is replaced. Null when nothing may be kept:
 * the proposal does not exist, or the copy alone is over KEPT_LIMITS.formBytes.
 */
export function keepForm(
  db: Db,
  entry: KeptFormEntry & { userId: number | null; route: string; address: string; previousKey?: string },
  now = Date.now(),
): string | null {
  return db.transaction((tx) => {
    if (entry.previousKey)
      tx.delete(keptForms)
        .where(eq(keptForms.id, hashKey(entry.previousKey)))
        .run();
    const exists = tx.select({ id: proposals.id }).from(proposals).where(eq(proposals.id, entry.proposalId)).get();
    if (!exists) return null;
    const fields = JSON.stringify(entry.values);
    const bytes = Buffer.byteLength(fields);
    if (bytes > KEPT_LIMITS.formBytes) return null;
    pruneKeptForms(tx, now);
    const { ownerForms, ownerBytes } = KEPT_LIMITS;
    if (entry.userId !== null) makeRoom(tx, eq(keptForms.userId, entry.userId), bytes, ownerForms, ownerBytes);
    else {
      const unknown = isNull(keptForms.userId);
      makeRoom(tx, and(unknown, eq(keptForms.address, entry.address)), bytes, ownerForms, ownerBytes);
      makeRoom(tx, unknown, bytes, KEPT_LIMITS.unknownAccountForms, KEPT_LIMITS.unknownAccountBytes);
    }
    const key = randomBytes(32).toString('base64url');
    tx.insert(keptForms)
      .values({
        id: hashKey(key),
        userId: entry.userId,
        proposalId: entry.proposalId,
        formId: entry.formId,
        route: entry.route,
        address: entry.address,
        fields,
        createdAt: now,
        expiresAt: now + KEPT_TTL_MS,
      })
      .run();
    return key;
  });
}

/** The unexpired kept form of this key, or null. */
export function findKeptForm(db: DbOrTx, key: string | undefined, now = Date.now()): KeptForm | null {
  if (!key || key.length > 100) return null;
  const row = db
    .select()
    .from(keptForms)
    .where(eq(keptForms.id, hashKey(key)))
    .get();
  return row && row.expiresAt >= now ? row : null;
}

export function deleteKeptForm(db: DbOrTx, key: string): void {
  db.delete(keptForms)
    .where(eq(keptForms.id, hashKey(key)))
    .run();
}

/** Removes kept forms older than a day. */
export function pruneKeptForms(db: DbOrTx, now = Date.now()): number {
  return db.delete(keptForms).where(lt(keptForms.expiresAt, now)).run().changes;
}

/**
 * Whether the kept text may be shown to this account: to the account whose session ended; when that
 * is not known, only to someone who may send that very form (and see the page it is on), as the route
 * it was sent to declares.
 */
function mayRestore(db: DbOrTx, routes: ReadonlyMap<string, KeptFormRoute>, actor: Actor, entry: KeptForm): boolean {
  if (!actor) return false;
  if (entry.userId !== null) return entry.userId === actor.id;
  const declared = routes.get(entry.route);
  const values = JSON.parse(entry.fields) as KeptValues;
  return !!declared && declared.mayPost(db, actor, { proposalId: entry.proposalId, formId: entry.formId, values });
}

export function setKeptCookie(reply: FastifyReply, key: string): void {
  setSiteCookie(reply, KEPT_COOKIE, key, { maxAgeSeconds: KEPT_TTL_MS / 1000 });
}

export function clearKeptCookie(reply: FastifyReply): void {
  clearCookie(reply, KEPT_COOKIE);
}

/** Remembers, until the absolute session limit, who logged in in this browser. */
export function setLastUserCookie(reply: FastifyReply, userId: number, opts: { absoluteMs: number }): void {
  setSiteCookie(reply, LAST_USER_COOKIE, String(userId), {
    signed: true,
    maxAgeSeconds: Math.floor(opts.absoluteMs / 1000),
  });
}

export function clearLastUserCookie(reply: FastifyReply): void {
  clearCookie(reply, LAST_USER_COOKIE);
}

/** The account that last logged in in this browser, from its signed cookie (null if absent or forged). */
export function lastUserOf(request: FastifyRequest): number | null {
  const raw = readCookie(request, LAST_USER_COOKIE);
  if (!raw) return null;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value && ID_PATTERN.test(unsigned.value) ? Number(unsigned.value) : null;
}

/**
 * The kept form this browser holds for the page of `proposalId`, if the signed-in account may have it:
 * taken (deleted, the cookie cleared) and returned as the form's values. Used once, by the page's GET.
 */
export function takeKeptForm(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  proposalId: number,
): { formId: string; values: KeptValues; field: string | null } | null {
  const key = readCookie(request, KEPT_COOKIE);
  if (!key) return null;
  const entry = findKeptForm(db, key);
  if (!entry) {
    clearKeptCookie(reply);
    return null;
  }
  if (entry.proposalId !== proposalId || !mayRestore(db, request.server.keptFormRoutes, request.user, entry))
    return null;
  deleteKeptForm(db, key);
  clearKeptCookie(reply);
  const values = JSON.parse(entry.fields) as KeptValues;
  return { formId: entry.formId, values, field: longestText(values) };
}

/** Fields the forms carry but nobody types into. */
const HIDDEN_FIELDS = new Set(['unitId', 'positionVersion', 'version', 'action']);

/** The field with the most text (where the notice's link leads), or null when nothing was typed. */
export function longestText(values: KeptValues): string | null {
  let best: string | null = null;
  for (const [name, value] of Object.entries(values)) {
    if (HIDDEN_FIELDS.has(name) || typeof value !== 'string' || !value.trim()) continue;
    if (best === null || value.length > (values[best] as string).length) best = name;
  }
  return best;
}

/**
 * A draft's autosave happens while someone types: it must not navigate away. It is refused without a
 * swap, and static/session.js is told (an HX-Trigger event).
 */
function isAutosave(request: FastifyRequest, target: KeptFormTarget): boolean {
  return (
    !!request.headers['hx-request'] && !!target.autosaveTarget && request.headers['hx-target'] === target.autosaveTarget
  );
}

/**
 * The answer to a staff form sent with no session: 401 (nothing was done) with the login form itself,
 * saying the text is kept; after the login the browser goes back to the form. htmx is told to load
 * the login page instead of swapping it into a fragment.
 */
export async function sendKeptLogin(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  target: KeptFormTarget,
) {
  const next = proposalPagePath(target.proposalId);
  reply.code(401);
  if (isAutosave(request, target)) return reply.header('HX-Trigger', 'session-ended').send(KEPT_MESSAGES.login);
  if (request.headers['hx-request'])
    return reply.header('HX-Redirect', `/login?next=${encodeURIComponent(next)}`).send();
  const csrfToken = await reply.csrfToken();
  const page = await app.view('auth/login.njk', { user: null, csrfToken, kept: KEPT_MESSAGES.login, next, values: {} });
  return reply.type('text/html; charset=utf-8').send(page);
}

/** The answer to a staff form sent with a stale CSRF token while signed in: 403, and the way back to the text. */
export async function sendKeptRefusal(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  target: KeptFormTarget,
) {
  const back = proposalPagePath(target.proposalId);
  reply.code(403);
  if (isAutosave(request, target)) return reply.header('HX-Trigger', 'form-expired').send(KEPT_MESSAGES.refused);
  if (request.headers['hx-request']) return reply.header('HX-Redirect', back).send();
  const page = await app.view('auth/form-kept.njk', {
    ...(await app.pageContext(request, reply)),
    message: KEPT_MESSAGES.refused,
    back,
  });
  return reply.type('text/html; charset=utf-8').send(page);
}

/** After a login: the page to go back to when this browser holds a form kept for this account. */
export function keptFormReturn(db: Db, request: FastifyRequest, actor: Actor): string | null {
  const entry = findKeptForm(db, readCookie(request, KEPT_COOKIE));
  if (!entry || !mayRestore(db, request.server.keptFormRoutes, actor, entry)) return null;
  return proposalPagePath(entry.proposalId);
}
