import { type SQL, sql } from 'drizzle-orm';
import type { AccountTokenPurpose } from '../auth/account-tokens.js';
import type { DbOrTx } from '../db/client.js';
import type { OutboxKind } from '../db/schema/notifications.js';
import { MESSAGE_ID } from './fanout.js';

/** The outbox kind of each link mail. */
export const ACCOUNT_MAIL_KIND = {
  invitation: 'account-invitation',
  'password-reset': 'account-password-reset',
} as const satisfies Record<AccountTokenPurpose, OutboxKind>;

export const ACCOUNT_MAIL_KINDS: readonly OutboxKind[] = Object.values(ACCOUNT_MAIL_KIND);

/** Which account a link mail is for: by id (an invitation) or by the address someone typed (a reset). */
export type AccountMailTarget = { userId: number } | { email: string };

/**
 * Queues the mail with a link to choose the account's password, inside the caller's transaction; the worker
 * mints the link's token when it sends the mail (src/auth/account-tokens.ts), so the row holds no secret. Only an
 * active account gets one, and the account is found by the same statement that writes the row: asked for an
 * address with no active account, the same work is done and nothing is written (the reset form must not tell,
 * not even by its timing, which addresses have accounts). Each call is a new mail (a resend is a new link).
 * Returns the number of rows written (0 or 1).
 */
export function enqueueAccountMail(
  tx: DbOrTx,
  purpose: AccountTokenPurpose,
  target: AccountMailTarget,
  now: Date,
): number {
  const at = now.toISOString();
  const which: SQL = 'userId' in target ? sql`u.id = ${target.userId}` : sql`u.email = ${target.email}`;
  return tx.run(sql`INSERT INTO outbox (dedup_key, kind, recipient, payload, available_at, message_id, created_at)
    SELECT ${`account:${purpose}:`} || u.id || ':' || lower(hex(randomblob(8))), ${ACCOUNT_MAIL_KIND[purpose]},
      u.email, json_object('userId', u.id), ${at}, ${MESSAGE_ID}, ${at}
    FROM users u WHERE ${which} AND u.active = 1`).changes;
}
