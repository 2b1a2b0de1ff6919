import nunjucks from 'nunjucks';
import path from 'node:path';
import type { DbOrTx } from '../db/client.js';
import type { ScopeKind } from '../db/schema/notifications.js';
import { describeEvent, eventBody } from '../events/present.js';
import { formatDatePl } from '../lib/dates.js';
import type { OutgoingMail } from '../plugins/mail.js';
import { viewsRoot } from '../plugins/view.js';
import { OUTCOME_LABELS } from '../workflow/workflow.js';
import type { Outcome } from '../db/schema/workflow.js';
import { recordedNote } from '../positions/basis.js';
import { ACCOUNT_LINK_PATH, ACCOUNT_TOKEN_LIFETIME_LABEL, type AccountTokenPurpose } from '../auth/account-tokens.js';
import { ROLE_LABELS } from '../auth/policy.js';
import {
  accountForMail,
  proposalHeads,
  publicEventsByIds,
  scopeLabel,
  subscriptionsByIds,
  type MailEvent,
  type OutboxRow,
  type ProposalHead,
  type SubscriptionRef,
} from './queries.js';

const emailsRoot = path.join(viewsRoot, 'emails');

function environment(autoescape: boolean) {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(emailsRoot), {
    autoescape,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
  env.addFilter('datePl', (v: string | null | undefined) => (v ? formatDatePl(v) : ''));
  return env;
}
// HTML escapes everything it prints; the text version is plain text and must not turn "&" into "&amp;"
const htmlEnv = environment(true);
const textEnv = environment(false);

/** A group of outbox rows that leaves as one mail. */
export type MailGroup = { kind: OutboxRow['kind']; recipient: string; rows: OutboxRow[] };

export type TokenSource = (purpose: 'confirm' | 'manage', email: string, subscriptionId: number | null) => string;
/** A token for the link of an account mail (an invitation, a password reset): see src/auth/account-tokens.ts. */
export type AccountTokenSource = (purpose: AccountTokenPurpose, userId: number) => string;

export type RenderContext = {
  baseUrl: string;
  /** MAIL_FROM as configured, e.g. "Konsultacje Toruń <konsultacje@torun.pl>" */
  from: string;
  replyTo?: string;
  /**
   * A token for a link. The worker hands out placeholders while it renders a batch, then mints the real tokens
   * for all its mails at once and puts them in; the "Poczta" preview passes a placeholder that never works.
   */
  token: TokenSource;
  /** The same for the links of account mails (the worker mints them with the batch, the preview never). */
  accountToken: AccountTokenSource;
  /**
   * Reads shared by the mails of one batch (10,000 followers of one proposal read the same events): events never
   * change, and a proposal's title or a scope's name changing within one batch is of no consequence.
   */
  memo?: Map<string, unknown>;
};

function memo<T>(ctx: RenderContext, key: string, read: () => T): T {
  if (!ctx.memo) return read();
  if (!ctx.memo.has(key)) ctx.memo.set(key, read());
  return ctx.memo.get(key) as T;
}
const eventsOf = (db: DbOrTx, ctx: RenderContext, ids: number[]) =>
  memo(ctx, `events:${ids.join(',')}`, () => publicEventsByIds(db, ids));
const headsOf = (db: DbOrTx, ctx: RenderContext, ids: number[]) =>
  memo(ctx, `heads:${ids.join(',')}`, () => proposalHeads(db, ids));
const labelOf = (db: DbOrTx, ctx: RenderContext, kind: ScopeKind, id: number) =>
  memo(ctx, `scope:${kind}:${id}`, () => scopeLabel(db, kind, id));

/** Subscriptions the worker already read for the whole batch (checking who still follows) are not read again. */
export function primeSubscriptions(memo: Map<string, unknown>, subs: Iterable<SubscriptionRef>) {
  for (const s of subs) memo.set(`subscription:${s.id}`, s);
}
function subscriptionsOf(db: DbOrTx, ctx: RenderContext, ids: number[]): Map<number, SubscriptionRef> {
  const known = ids.map((id) => ctx.memo?.get(`subscription:${id}`) as SubscriptionRef | undefined);
  if (known.every((s) => s)) return new Map(known.map((s) => [s!.id, s!]));
  return subscriptionsByIds(db, ids);
}

/** "Name <local@domain>" or "local@domain" → the address and its domain. */
export function mailAddress(from: string): { address: string; domain: string } {
  const m = /<?([^<>\s@]+)@([^<>\s]+?)>?\s*$/.exec(from);
  return m ? { address: `${m[1]}@${m[2]}`, domain: m[2]! } : { address: from, domain: 'localhost' };
}

/** The fixed root every mail about one proposal replies to, so a mail client threads its history. */
export function proposalRootId(proposalId: number, domain: string): string {
  return `<proposal-${proposalId}@${domain}>`;
}

const outcome = (v: unknown) => OUTCOME_LABELS[v as Outcome] ?? String(v ?? '');

export type MailItem = {
  sentence: string;
  body: string;
  note: string;
  decision?: {
    outcome: string;
    text: string;
    /** `recorded`: "wpisane przez Biuro Dialogu na podstawie …" for a position the office entered for the unit */
    cited: { unitName: string; outcome: string; justification: string; recorded: string }[];
  };
  duplicateOf?: { lp: unknown; url: string };
};

/**
 * Public events of one proposal as mail items, oldest first. A decision carries the positions it cites (published
 * with it, in the same change) in its own block; those positions are not repeated as separate items.
 */
export function mailItems(events: MailEvent[], baseUrl: string): MailItem[] {
  const decisionTimes = new Set(events.filter((e) => e.type === 'decision.published').map((e) => e.createdAt));
  const items: MailItem[] = [];
  for (const e of events) {
    if (e.type === 'position.published' && decisionTimes.has(e.createdAt)) continue;
    const after = e.after ?? {};
    const item: MailItem = { sentence: describeEvent(e), body: eventBody(e), note: e.note };
    if (e.type === 'decision.published') {
      item.body = '';
      item.decision = {
        outcome: outcome(after.outcome),
        text: String(after.text ?? ''),
        cited: events
          .filter((p) => p.type === 'position.published' && p.createdAt === e.createdAt)
          .map((p) => ({
            unitName: String(p.after?.unitName ?? ''),
            outcome: outcome(p.after?.outcome),
            justification: String(p.after?.justification ?? ''),
            recorded: recordedNote(p.after),
          })),
      };
    }
    if (e.type === 'duplicate.marked' && typeof after.duplicateOfId === 'number') {
      item.duplicateOf = { lp: after.duplicateOfLp, url: `${baseUrl}/proposals/${after.duplicateOfId}` };
    }
    items.push(item);
  }
  return items;
}

const plural = (n: number, one: string, few: string, many: string) => {
  if (n === 1) return one;
  const d = n % 10;
  const dd = n % 100;
  return d >= 2 && d <= 4 && (dd < 10 || dd >= 20) ? few : many;
};

function eventsSubject(p: ProposalHead, items: MailItem[]): string {
  const decision = items.find((i) => i.decision);
  if (decision) return `Propozycja LP ${p.lp}: decyzja – ${decision.decision!.outcome}`;
  const first = items[0]!.sentence;
  const rest = items.length - 1;
  const more = rest ? ` (i ${rest} ${plural(rest, 'inna zmiana', 'inne zmiany', 'innych zmian')})` : '';
  return `Propozycja LP ${p.lp}: ${first}${more}`;
}

function render(template: string, data: Record<string, unknown>) {
  return { html: htmlEnv.render(`${template}.html.njk`, data), text: textEnv.render(`${template}.txt.njk`, data) };
}

function listHeaders(ctx: RenderContext, slug: string | undefined, oneClickToken: string) {
  const { address } = mailAddress(ctx.replyTo ?? ctx.from);
  const listDomain = mailAddress(ctx.from).domain;
  return {
    'List-Id': `<konsultacje.${slug ?? 'wszystkie'}.${listDomain}>`,
    'List-Unsubscribe':
      `<${ctx.baseUrl}/subscriptions/unsubscribe?token=${oneClickToken}>, ` +
      `<mailto:${address}?subject=wypisz%20${oneClickToken}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    Precedence: 'list',
  };
}

function envelope(ctx: RenderContext, group: MailGroup, proposalId: number | null) {
  const { domain } = mailAddress(ctx.from);
  const first = group.rows[0]!;
  const root = proposalId !== null ? proposalRootId(proposalId, domain) : undefined;
  return {
    from: ctx.from,
    to: group.recipient,
    ...(ctx.replyTo ? { replyTo: ctx.replyTo } : {}),
    messageId: `<${first.messageId}@${domain}>`,
    ...(root ? { inReplyTo: root, references: root } : {}),
  };
}

const AUTO = { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' };

/**
 * Renders one mail for a group of outbox rows, at send time, from the events table (events never change).
 * Returns null when nothing public is left to say (the row pointed at an event that is not public).
 */
export function composeMail(db: DbOrTx, group: MailGroup, ctx: RenderContext): OutgoingMail | null {
  switch (group.kind) {
    case 'subscriber':
    case 'digest':
      return composeEventsMail(db, group, ctx);
    case 'confirmation':
      return composeConfirmation(db, group, ctx);
    case 'staff-assigned':
    case 'staff-positions-complete':
      return composeStaffProposalMail(db, group, ctx);
    case 'staff-reminder':
      return composeReminder(group, ctx);
    case 'account-invitation':
    case 'account-password-reset':
      return composeAccountMail(db, group, ctx);
  }
}

function footerFor(db: DbOrTx, ctx: RenderContext, recipient: string, subs: SubscriptionRef[]) {
  const main = subs[0]!;
  const manageToken = ctx.token('manage', recipient, main.id);
  return {
    token: manageToken,
    footer: {
      reasons: [...new Set(subs.map((s) => labelOf(db, ctx, s.scopeKind, s.scopeId)))],
      daily: main.frequency === 'daily',
      manageUrl: `${ctx.baseUrl}/subscriptions/manage?token=${manageToken}`,
      unsubscribeUrl: `${ctx.baseUrl}/subscriptions/unsubscribe?token=${manageToken}`,
      unsubscribeLabel: labelOf(db, ctx, main.scopeKind, main.scopeId),
    },
  };
}

/** What an events mail says about its proposals: the same for every recipient of the same events. */
function eventsView(db: DbOrTx, ctx: RenderContext, kind: MailGroup['kind'], eventIds: number[]) {
  return memo(ctx, `events-view:${kind}:${eventIds.join(',')}`, () => {
    const events = eventsOf(db, ctx, eventIds);
    if (!events.length) return null;
    const heads = headsOf(db, ctx, [...new Set(events.map((e) => e.proposalId))]);
    const byProposal = new Map<number, MailEvent[]>();
    for (const e of events) byProposal.set(e.proposalId, [...(byProposal.get(e.proposalId) ?? []), e]);
    // newest first: the proposal with the latest event leads (a coalesced mail has only one)
    const proposals = [...byProposal.entries()]
      .sort((a, b) => b[1].at(-1)!.id - a[1].at(-1)!.id)
      .map(([id, list]) => ({
        ...heads.get(id)!,
        url: `${ctx.baseUrl}/proposals/${id}`,
        items: mailItems(list, ctx.baseUrl),
      }));
    const digest = kind === 'digest';
    const subject = digest
      ? `Podsumowanie dnia: zmiany w ${proposals.length} ${proposals.length === 1 ? 'propozycji' : 'propozycjach'}`
      : eventsSubject(proposals[0]!, proposals[0]!.items);
    return { key: `${kind}:${eventIds.join(',')}`, proposals, subject, digest };
  });
}

function composeEventsMail(db: DbOrTx, group: MailGroup, ctx: RenderContext): OutgoingMail | null {
  const view = eventsView(
    db,
    ctx,
    group.kind,
    group.rows.map((r) => r.eventId).filter((id) => id !== null),
  );
  if (!view) return null;
  const { proposals, subject, digest } = view;

  const subIds = [...new Set(group.rows.map((r) => r.subscriptionId).filter((id): id is number => id !== null))];
  const subsMap = subscriptionsOf(db, ctx, subIds);
  const subs = subIds.map((id) => subsMap.get(id)).filter((s): s is SubscriptionRef => !!s);
  if (!subs.length) return null;
  const { token, footer } = footerFor(db, ctx, group.recipient, subs);

  // the body depends only on the events and the footer (its links hold the token the source handed out, within
  // one batch a placeholder the worker fills in per mail): followers of the same events share one rendering
  const { html, text } = memo(ctx, `events-mail:${view.key}:${JSON.stringify(footer)}`, () =>
    render('events', { subject, digest, proposals, footer, baseUrl: ctx.baseUrl }),
  );
  const single = proposals.length === 1 ? proposals[0]!.id : null;
  return {
    ...envelope(ctx, group, single),
    subject,
    html,
    text,
    headers: { ...AUTO, ...listHeaders(ctx, proposals[0]!.consultationSlug, token) },
  };
}

function composeConfirmation(db: DbOrTx, group: MailGroup, ctx: RenderContext): OutgoingMail | null {
  const row = group.rows[0]!;
  if (row.subscriptionId === null) return null;
  const sub = subscriptionsOf(db, ctx, [row.subscriptionId]).get(row.subscriptionId);
  if (!sub) return null;
  const confirmToken = ctx.token('confirm', group.recipient, sub.id);
  const manageToken = ctx.token('manage', group.recipient, sub.id);
  const subject = 'Potwierdź obserwowanie – Konsultacje Toruń';
  const { html, text } = render('confirmation', {
    subject,
    scope: labelOf(db, ctx, sub.scopeKind, sub.scopeId),
    daily: sub.frequency === 'daily',
    confirmUrl: `${ctx.baseUrl}/subscriptions/confirm?token=${confirmToken}`,
    manageUrl: `${ctx.baseUrl}/subscriptions/manage?token=${manageToken}`,
    baseUrl: ctx.baseUrl,
  });
  const proposalId = sub.scopeKind === 'proposal' ? sub.scopeId : null;
  return { ...envelope(ctx, group, proposalId), subject, html, text, headers: { ...AUTO } };
}

function composeStaffProposalMail(db: DbOrTx, group: MailGroup, ctx: RenderContext): OutgoingMail | null {
  const first = group.rows[0]!;
  if (first.proposalId === null) return null;
  const head = headsOf(db, ctx, [first.proposalId]).get(first.proposalId);
  if (!head) return null;
  const staffUrl = `${ctx.baseUrl}/staff/proposals/${head.id}`;
  let subject: string;
  let template: string;
  let data: Record<string, unknown>;
  if (group.kind === 'staff-assigned') {
    const events = eventsOf(
      db,
      ctx,
      group.rows.map((r) => r.eventId).filter((id): id is number => id !== null),
    ).filter((e) => e.type === 'assignment.added');
    if (!events.length) return null;
    subject = `Przekazano propozycję LP ${head.lp} do Twojej jednostki`;
    template = 'staff-assigned';
    data = {
      units: events.map((e) => ({
        name: String(e.after?.unitName ?? ''),
        dueDate: String(e.after?.dueDate ?? ''),
        lead: !!e.after?.lead,
      })),
    };
  } else {
    subject = `Stanowiska zebrane: propozycja LP ${head.lp} czeka na decyzję`;
    template = 'staff-positions-complete';
    data = {};
  }
  const { html, text } = render(template, { ...data, subject, proposal: head, staffUrl, baseUrl: ctx.baseUrl });
  return { ...envelope(ctx, group, head.id), subject, html, text, headers: { ...AUTO } };
}

export type ReminderItem = { unitName: string; proposalId: number; lp: number; title: string; dueDate: string };

function composeReminder(group: MailGroup, ctx: RenderContext): OutgoingMail | null {
  const payload = group.rows[0]!.payload as { items?: ReminderItem[]; today?: string };
  const items = payload.items ?? [];
  if (!items.length) return null;
  const today = payload.today ?? '';
  const units = [...new Set(items.map((i) => i.unitName))].map((name) => ({
    name,
    items: items
      .filter((i) => i.unitName === name)
      .map((i) => ({
        ...i,
        overdue: i.dueDate < today,
        url: `${ctx.baseUrl}/staff/proposals/${i.proposalId}`,
      })),
  }));
  const subject = `Przypomnienie: stanowiska do złożenia (${items.length})`;
  const staffUrl = `${ctx.baseUrl}/staff`;
  const { html, text } = render('staff-reminder', { subject, units, baseUrl: ctx.baseUrl, staffUrl });
  return { ...envelope(ctx, group, null), subject, html, text, headers: { ...AUTO } };
}

/**
 * An invitation or a password reset: a one-time link to choose the account's password. What the account is
 * (its role, its units) is read when the mail is sent, so the mail describes the account as it is then; any
 * address an account is made for (a unit's contact address included) gets the same mail.
 */
function composeAccountMail(db: DbOrTx, group: MailGroup, ctx: RenderContext): OutgoingMail | null {
  const row = group.rows[0]!;
  const userId = Number(row.payload.userId);
  const account = Number.isSafeInteger(userId) ? accountForMail(db, userId) : undefined;
  if (!account) return null;
  const purpose: AccountTokenPurpose = group.kind === 'account-invitation' ? 'invitation' : 'password-reset';
  const token = ctx.accountToken(purpose, userId);
  const subject =
    purpose === 'invitation'
      ? 'Zaproszenie: ustal hasło do konta – Konsultacje Toruń'
      : 'Ustaw nowe hasło – Konsultacje Toruń';
  const { html, text } = render(group.kind, {
    subject,
    account: { ...account, roleLabel: ROLE_LABELS[account.role] },
    linkUrl: `${ctx.baseUrl}${ACCOUNT_LINK_PATH}?token=${token}`,
    lifetime: ACCOUNT_TOKEN_LIFETIME_LABEL[purpose],
    loginUrl: `${ctx.baseUrl}/login`,
    resetUrl: `${ctx.baseUrl}/password-reset`,
    baseUrl: ctx.baseUrl,
  });
  return { ...envelope(ctx, group, null), subject, html, text, headers: { ...AUTO } };
}
