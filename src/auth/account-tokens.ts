import { randomBytes } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { accountTokens, type AccountTokenPurpose } from '../db/schema/index.js';
import { hashToken } from '../subscriptions/tokens.js';

/**
 * The links that let the owner of an account choose its password, sent by mail: an invitation (a new account
 * has no password until its owner sets one) and a password reset ("Nie pamiętasz hasła?"). A token is minted
 * when the mail worker sends the mail, so its lifetime counts from the sending and no raw token is ever stored
 * (the outbox row names the account only); the database keeps its SHA-256. A link works once: setting a password
 * marks it used and revokes every other link of the account (src/admin/accounts.ts).
 */
export type { AccountTokenPurpose };

/** How long a link works after the mail is sent. */
export const ACCOUNT_TOKEN_LIFETIME_MS: Record<AccountTokenPurpose, number> = {
  invitation: 72 * 3_600_000,
  'password-reset': 3_600_000,
};

/** What a mail says about how long its link works. */
export const ACCOUNT_TOKEN_LIFETIME_LABEL: Record<AccountTokenPurpose, string> = {
  invitation: '72 godziny',
  'password-reset': 'godzinę',
};

export type AccountTokenInput = { purpose: AccountTokenPurpose; userId: number };

/** The page a link opens, `?token=…` (src/auth/password-routes.ts). */
export const ACCOUNT_LINK_PATH = '/password/new';

/** The tokens themselves are base64url, 32 bytes; anything else is not a token of ours. */
export const ACCOUNT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** New tokens, in the order asked, for the mails of one worker batch; only their hashes are written. */
export function mintAccountTokens(tx: DbOrTx, inputs: AccountTokenInput[], now = new Date()): string[] {
  if (!inputs.length) return [];
  const random = randomBytes(32 * inputs.length);
  const tokens = inputs.map((_, i) => random.toString('base64url', i * 32, i * 32 + 32));
  const createdAt = now.toISOString();
  for (let start = 0; start < inputs.length; start += 500) {
    tx.insert(accountTokens)
      .values(
        inputs.slice(start, start + 500).map((input, i) => ({
          tokenHash: hashToken(tokens[start + i]!),
          purpose: input.purpose,
          userId: input.userId,
          createdAt,
          expiresAt: new Date(now.getTime() + ACCOUNT_TOKEN_LIFETIME_MS[input.purpose]).toISOString(),
        })),
      )
      .run();
  }
  return tokens;
}

export type AccountTokenRow = typeof accountTokens.$inferSelect;

/**
 * What a link is now: `ok` (it may set the password), `expired` (its time ran out unused), `used` (used, or
 * revoked by a later password change) or `unknown` (never issued, or its row is gone).
 */
export type AccountTokenLookup =
  | { status: 'ok' | 'expired' | 'used'; row: AccountTokenRow }
  | { status: 'unknown'; row?: undefined };

export function lookupAccountToken(db: DbOrTx, token: string, now = new Date()): AccountTokenLookup {
  if (!ACCOUNT_TOKEN_PATTERN.test(token)) return { status: 'unknown' };
  const row = db
    .select()
    .from(accountTokens)
    .where(eq(accountTokens.tokenHash, hashToken(token)))
    .get();
  if (!row) return { status: 'unknown' };
  if (row.usedAt !== null) return { status: 'used', row };
  if (row.expiresAt <= now.toISOString()) return { status: 'expired', row };
  return { status: 'ok', row };
}

/**
 * Marks a link used, if it still works at `now`: false when another request used it first (or it just expired),
 * so two tabs submitting the same link cannot both set a password. `expired`: the link has run out and is used up
 * asking for a new one (so one old link asks once).
 */
export function useAccountToken(tx: DbOrTx, id: number, now: Date, opts: { expired?: boolean } = {}): boolean {
  const at = now.toISOString();
  const stillValid = opts.expired ? undefined : gt(accountTokens.expiresAt, at);
  return (
    tx
      .update(accountTokens)
      .set({ usedAt: at })
      .where(and(eq(accountTokens.id, id), isNull(accountTokens.usedAt), stillValid))
      .run().changes === 1
  );
}

/** Every link of the account that still works stops working (a new password, a closed account). */
export function revokeAccountTokens(tx: DbOrTx, userId: number, now: Date): number {
  return tx
    .update(accountTokens)
    .set({ usedAt: now.toISOString() })
    .where(and(eq(accountTokens.userId, userId), isNull(accountTokens.usedAt)))
    .run().changes;
}
