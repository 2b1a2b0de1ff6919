import { mintToken } from '../../src/subscriptions/tokens.js';
import { currentClause } from '../../src/subscriptions/clause.js';
import type { Agent, App } from '../helpers.js';

/** POSTs a form like Agent.post, from a chosen client IP address (the follow form is rate-limited per IP). */
export async function postFrom(
  agent: Agent,
  url: string,
  form: Record<string, string | number>,
  opts: { ip?: string; csrf?: boolean } = {},
) {
  const body = new URLSearchParams();
  if (opts.csrf !== false) body.append('_csrf', agent.csrf);
  for (const [k, v] of Object.entries(form)) body.append(k, String(v));
  return agent.app.inject({
    method: 'POST',
    url,
    payload: body.toString(),
    remoteAddress: opts.ip ?? '127.0.0.1',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    },
  });
}

/** Opens the follow page (for its CSRF cookie and token) and sends the follow form. */
export async function follow(
  agent: Agent,
  scope: { kind: string; id: number },
  email: string,
  opts: { ip?: string; frequency?: string; clauseVersion?: string } = {},
) {
  await agent.get(`/subscriptions/new?scope=${scope.kind}&id=${scope.id}`);
  return postFrom(
    agent,
    '/subscriptions',
    {
      scope: scope.kind,
      id: scope.id,
      email,
      frequency: opts.frequency ?? 'immediate',
      clauseVersion: opts.clauseVersion ?? currentClause().version,
    },
    { ip: opts.ip },
  );
}

export type SubscriptionRow = {
  id: number;
  email: string;
  scope_kind: string;
  scope_id: number;
  frequency: string;
  state: string;
  clause_version: string;
  requested_at: string;
  confirmed_at: string | null;
};

export function subscriptionsOf(app: App, email: string): SubscriptionRow[] {
  return app.database.sqlite
    .prepare('SELECT * FROM subscriptions WHERE email = ? ORDER BY id')
    .all(email) as SubscriptionRow[];
}

export function confirmationRows(app: App, email: string) {
  return app.database.sqlite
    .prepare(`SELECT * FROM outbox WHERE kind = 'confirmation' AND recipient = ? ORDER BY id`)
    .all(email) as { id: number; dedup_key: string; subscription_id: number; state: string }[];
}

/** A raw token as the mail worker would put it into a mail. */
export function token(
  app: App,
  purpose: 'confirm' | 'manage',
  sub: { id: number; email: string } | string,
  now?: Date,
) {
  const email = typeof sub === 'string' ? sub : sub.email;
  const subscriptionId = typeof sub === 'string' ? null : sub.id;
  return mintToken(app.database.db, { purpose, email, subscriptionId, now });
}

/** A confirmed subscription through the real pages; returns its row. */
export async function followConfirmed(agent: Agent, scope: { kind: string; id: number }, email: string, ip?: string) {
  const res = await follow(agent, scope, email, { ip });
  if (res.statusCode !== 303) throw new Error(`follow failed: ${res.statusCode}`);
  const sub = subscriptionsOf(agent.app, email).find((s) => s.scope_kind === scope.kind && s.scope_id === scope.id)!;
  const t = token(agent.app, 'confirm', sub);
  await agent.get(`/subscriptions/confirm?token=${t}`);
  const confirmed = await postFrom(agent, '/subscriptions/confirm', { token: t }, { ip });
  if (confirmed.statusCode !== 200) throw new Error(`confirm failed: ${confirmed.statusCode}`);
  return { ...sub, manageToken: /\/subscriptions\/manage\?token=([A-Za-z0-9_-]+)/.exec(confirmed.body)![1]! };
}
