import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { subscriberTokens } from '../db/schema/index.js';

export type TokenPurpose = 'confirm' | 'manage';

/** How long a link in a mail works: confirming 7 days (then the request expires), managing 180 days. */
export const TOKEN_LIFETIME_DAYS: Record<TokenPurpose, number> = { confirm: 7, manage: 180 };

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export type TokenInput = { purpose: TokenPurpose; email: string; subscriptionId: number | null };

/**
 * A new random token for a link in a mail; only its hash is stored. `subscriptionId` is what the link is about
 * (the subscription to confirm, or the one a one-click unsubscribe ends).
 */
export function mintToken(tx: DbOrTx, input: TokenInput & { now?: Date }): string {
  return mintTokens(tx, [input], input.now)[0]!;
}

/**
 * Several tokens at once, in the order asked (the mail worker mints one or two per mail, a batch of mails at a
 * time): one draw of randomness and one insert per 500 tokens instead of one of each per token.
 */
export function mintTokens(tx: DbOrTx, inputs: TokenInput[], now = new Date()): string[] {
  const random = randomBytes(24 * inputs.length);
  const tokens = inputs.map((_, i) => random.toString('base64url', i * 24, i * 24 + 24));
  const createdAt = now.toISOString();
  for (let start = 0; start < inputs.length; start += 500) {
    tx.insert(subscriberTokens)
      .values(
        inputs.slice(start, start + 500).map((input, i) => ({
          tokenHash: hashToken(tokens[start + i]!),
          purpose: input.purpose,
          email: input.email.trim().toLowerCase(),
          subscriptionId: input.subscriptionId,
          createdAt,
          expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_DAYS[input.purpose] * 86_400_000).toISOString(),
        })),
      )
      .run();
  }
  return tokens;
}

/** The live token row for a raw token of that purpose, or undefined (unknown, expired, other purpose). */
export function findToken(db: DbOrTx, token: string, purpose: TokenPurpose, now = new Date()) {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return undefined;
  return db
    .select()
    .from(subscriberTokens)
    .where(
      and(
        eq(subscriberTokens.tokenHash, hashToken(token)),
        eq(subscriberTokens.purpose, purpose),
        gt(subscriberTokens.expiresAt, now.toISOString()),
      ),
    )
    .get();
}

/**
 * Like findToken, and tells a link that expired (its hash is still stored; 410) from one that never worked (404).
 */
export function lookupToken(db: DbOrTx, token: string, purpose: TokenPurpose, now = new Date()) {
  const row = findToken(db, token, purpose, now);
  if (row) return { status: 'ok' as const, row };
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return { status: 'unknown' as const };
  const stale = db
    .select({ purpose: subscriberTokens.purpose })
    .from(subscriberTokens)
    .where(eq(subscriberTokens.tokenHash, hashToken(token)))
    .get();
  return { status: stale?.purpose === purpose ? ('expired' as const) : ('unknown' as const) };
}
