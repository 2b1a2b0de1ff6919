import { sqliteTable, integer, text, uniqueIndex, index } from 'drizzle-orm/sqlite-core';
import { events } from './workflow.js';

export const SCOPE_KINDS = ['proposal', 'table', 'unit', 'consultation'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];
export const FREQUENCIES = ['immediate', 'daily'] as const;
export type Frequency = (typeof FREQUENCIES)[number];
export const SUBSCRIPTION_STATES = ['pending', 'confirmed'] as const;

/**
 * Someone following a scope by e-mail (no account). RODO: only the address, the scope, the clause version and the
 * times of request and confirmation are kept; a withdrawal deletes the row and leaves an anonymous trace in
 * `subscriptionWithdrawals`.
 */
export const subscriptions = sqliteTable(
  'subscriptions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Stored lower-cased. */
    email: text('email').notNull(),
    scopeKind: text('scope_kind', { enum: SCOPE_KINDS }).notNull(),
    /** proposals.id, workshop_tables.id, units.id or consultations.id, by scopeKind */
    scopeId: integer('scope_id').notNull(),
    frequency: text('frequency', { enum: FREQUENCIES }).notNull().default('immediate'),
    state: text('state', { enum: SUBSCRIPTION_STATES }).notNull().default('pending'),
    /** The version (hash) of the information clause (RODO art. 13) shown when the address was given. */
    clauseVersion: text('clause_version').notNull(),
    requestedAt: text('requested_at').notNull(),
    confirmedAt: text('confirmed_at'),
  },
  (t) => [
    uniqueIndex('subscriptions_email_scope_uq').on(t.email, t.scopeKind, t.scopeId),
    index('subscriptions_scope_idx').on(t.scopeKind, t.scopeId, t.state),
  ],
);

/** When and how a subscription ended, without the address (what RODO lets us keep). */
export const subscriptionWithdrawals = sqliteTable('subscription_withdrawals', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  scopeKind: text('scope_kind', { enum: SCOPE_KINDS }).notNull(),
  scopeId: integer('scope_id').notNull(),
  clauseVersion: text('clause_version').notNull(),
  requestedAt: text('requested_at').notNull(),
  confirmedAt: text('confirmed_at'),
  withdrawnAt: text('withdrawn_at').notNull(),
  /** 'link' (subscription page), 'one-click' (RFC 8058), 'erase' (unfollow all), 'expired' (never confirmed) */
  how: text('how').notNull(),
});

/** Each version of the information clause as shown, so what a subscriber saw can be produced later. */
export const clauseVersions = sqliteTable('clause_versions', {
  version: text('version').primaryKey(),
  text: text('text').notNull(),
  firstShownAt: text('first_shown_at').notNull(),
});

export const TOKEN_PURPOSES = ['confirm', 'manage'] as const;

/** Random tokens sent in mails; only their SHA-256 is stored. */
export const subscriberTokens = sqliteTable(
  'subscriber_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tokenHash: text('token_hash').notNull(),
    purpose: text('purpose', { enum: TOKEN_PURPOSES }).notNull(),
    email: text('email').notNull(),
    /** the subscription the mail was about (confirm: the one to confirm; manage: the one-click target) */
    subscriptionId: integer('subscription_id').references(() => subscriptions.id, { onDelete: 'cascade' }),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
  },
  (t) => [uniqueIndex('subscriber_tokens_hash_uq').on(t.tokenHash), index('subscriber_tokens_email_idx').on(t.email)],
);

export const OUTBOX_KINDS = [
  'confirmation', // double opt-in mail for a subscription
  'subscriber', // public events on a followed scope (immediate; coalesced per proposal)
  'digest', // daily digest of public events for one address
  'staff-assigned', // a proposal was assigned to a unit: its contact address and staff
  'staff-reminder', // weekly: positions due within 7 days or overdue
  'staff-positions-complete', // to admins: all positions on a proposal are in
  'account-invitation', // a new account: a link to choose its password (payload: userId)
  'account-password-reset', // "Nie pamiętasz hasła?": a link to set a new password (payload: userId)
] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];
export const OUTBOX_STATES = ['queued', 'sent', 'dead'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/**
 * Mail to send, written in the same transaction as the change that causes it; one row per (event, recipient),
 * unique by dedupKey so nothing is enqueued twice. A worker claims due rows with a lease (lockedUntil), sends,
 * and marks them sent; temporary failures are retried with backoff, permanent ones end as dead.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    dedupKey: text('dedup_key').notNull(),
    kind: text('kind', { enum: OUTBOX_KINDS }).notNull(),
    /** Cleared (set to '') once sent rows age past the retention period. */
    recipient: text('recipient').notNull(),
    subscriptionId: integer('subscription_id').references(() => subscriptions.id, { onDelete: 'set null' }),
    proposalId: integer('proposal_id'),
    eventId: integer('event_id').references(() => events.id, { onDelete: 'cascade' }),
    /** Kind-specific data the mail is rendered from (never a raw token). */
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    state: text('state', { enum: OUTBOX_STATES }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    /** ISO time from which the row may be sent (coalescing window, digest time, retry backoff). */
    availableAt: text('available_at').notNull(),
    /** ISO time until which a worker holds the row; the worker renews it while the mail is on its way. */
    lockedUntil: text('locked_until'),
    /** The worker holding the row ("host:pid:random"): a restart on the same host takes back a dead one's rows. */
    lockedBy: text('locked_by'),
    lastError: text('last_error'),
    /** Stable per row, so a rare repeat after a crash is recognisable. */
    messageId: text('message_id').notNull(),
    /** Rows sent together as one mail share the id of the first. */
    sentInId: integer('sent_in_id'),
    subject: text('subject'),
    /**
     * Confirmation rows only: SHA-256 of the mailbox (the address without its +tag), for the daily limit per
     * mailbox. Unlike the address it stays when the address is erased; it is cleared once the day it counts for is
     * over.
     */
    mailboxHash: text('mailbox_hash'),
    createdAt: text('created_at').notNull(),
    sentAt: text('sent_at'),
  },
  (t) => [
    uniqueIndex('outbox_dedup_uq').on(t.dedupKey),
    index('outbox_due_idx').on(t.state, t.availableAt),
    index('outbox_recipient_idx').on(t.recipient),
    index('outbox_mailbox_idx').on(t.mailboxHash, t.createdAt),
  ],
);
