import type { Db } from '../db/client.js';
import { hasPassword, verifyPassword } from './password.js';
import { findUserByEmail } from './queries.js';

/** Verifies e-mail and password; the same answer (null) for an unknown e-mail and a wrong password. */
export async function authenticate(db: Db, email: string, password: string, dummyHash: () => Promise<string>) {
  const user = findUserByEmail(db, email);
  // hash even when the e-mail is unknown or its owner has not chosen a password yet: the timing tells nothing
  const stored = user && hasPassword(user.passwordHash) ? user.passwordHash : await dummyHash();
  const ok = await verifyPassword(password, stored);
  if (!user?.active || !hasPassword(user.passwordHash) || !ok) return null;
  return user;
}

/** Accounts are written in one module, src/admin/accounts.ts; kept here for callers that import it from auth. */
export { upsertUser } from '../admin/accounts.js';
