import { sqliteTable, integer, text, uniqueIndex, primaryKey, index } from 'drizzle-orm/sqlite-core';
import { units } from './units.js';

export const ROLES = ['admin', 'unit', 'reviewer'] as const;
export type Role = (typeof ROLES)[number];

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Stored lower-cased. */
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    role: text('role', { enum: ROLES }).notNull(),
    /** scrypt$N$r$p$salt$hash; '' while an invited person has not chosen a password yet (no password works) */
    passwordHash: text('password_hash').notNull(),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    /** set when an admin typed the password (web form or npm run user:add): its owner must replace it first */
    mustChangePassword: integer('must_change_password', { mode: 'boolean' }).notNull().default(false),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [uniqueIndex('users_email_uq').on(t.email)],
);

export const ACCOUNT_TOKEN_PURPOSES = ['invitation', 'password-reset'] as const;
export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number];

/**
 * One-time links that let the owner of an account choose its password: an invitation or a password reset
 * (src/auth/account-tokens.ts). Minted by the mail worker when it sends the mail; only the SHA-256 of the token
 * is stored. A used, superseded or revoked link keeps its row (with usedAt) so that it can say so.
 */
export const accountTokens = sqliteTable(
  'account_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** sha256 (hex) of the token in the link */
    tokenHash: text('token_hash').notNull(),
    purpose: text('purpose', { enum: ACCOUNT_TOKEN_PURPOSES }).notNull(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    /** when the link stopped working before its time: used, or revoked by a later password change */
    usedAt: text('used_at'),
  },
  (t) => [uniqueIndex('account_tokens_hash_uq').on(t.tokenHash), index('account_tokens_user_idx').on(t.userId)],
);

/**
 * "Nie pamiętasz hasła?" requests, one row per request whether or not the address belongs to an account (so both
 * cost the same), for the limit per address. The address is kept only as its SHA-256; rows go after a day.
 */
export const passwordResetRequests = sqliteTable(
  'password_reset_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** sha256 (hex) of the lower-cased address typed */
    emailHash: text('email_hash').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [
    index('password_reset_requests_email_idx').on(t.emailHash, t.createdAt),
    index('password_reset_requests_created_idx').on(t.createdAt),
  ],
);

/** The units a "unit" account works for. */
export const userUnits = sqliteTable(
  'user_units',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.unitId] }), index('user_units_unit_idx').on(t.unitId)],
);

export const sessions = sqliteTable(
  'sessions',
  {
    sid: text('sid').primaryKey(),
    data: text('data').notNull(),
    /** epoch milliseconds */
    expiresAt: integer('expires_at').notNull(),
    /** the signed-in account (sessions exist only for people who log in) */
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** epoch milliseconds of the login: sessions end after an absolute lifetime too */
    createdAt: integer('created_at'),
  },
  (t) => [index('sessions_expires_idx').on(t.expiresAt), index('sessions_user_idx').on(t.userId)],
);

/**
 * What someone typed into a staff form that arrived after their session had ended: kept for a day and
 * put back into the form once they have logged in again (src/auth/kept-forms.ts). The browser holds
 * the random key in a cookie; only its hash is stored here.
 */
export const keptForms = sqliteTable(
  'kept_forms',
  {
    /** sha256 (hex) of the key in the browser's cookie */
    id: text('id').primaryKey(),
    /** the account whose session ended, when known; null: only someone who may send that form gets it */
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** the proposal whose staff page holds the form */
    proposalId: integer('proposal_id').notNull(),
    /** the form's id on that page (FORMS in src/workbench/ids.ts) */
    formId: text('form_id').notNull(),
    /** the route the form was posted to (its pattern): its declaration says who may send that form */
    route: text('route').notNull().default(''),
    /** the client's address (an IPv6 /64 as one): the forms of no known account are bounded per address */
    address: text('address'),
    /** the submitted fields as JSON, without the CSRF token */
    fields: text('fields').notNull(),
    /** epoch milliseconds */
    createdAt: integer('created_at').notNull(),
    /** epoch milliseconds: purged after this */
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    index('kept_forms_expires_idx').on(t.expiresAt),
    index('kept_forms_user_idx').on(t.userId),
    index('kept_forms_address_idx').on(t.address),
  ],
);
