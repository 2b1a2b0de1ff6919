import type { Db } from '../db/client.js';
import { users } from '../db/schema/index.js';
import { generatePassword } from './password.js';
import { createFirstAdmin } from '../admin/accounts.js';
import { BOOTSTRAP_ADMIN_EMAIL } from '../admin/schema.js';

export { BOOTSTRAP_ADMIN_EMAIL };

/**
 * On a database without accounts, creates the first administrator with a random password, so a
 * newcomer can log in; returns the password to print once (null when accounts already exist).
 */
export async function ensureFirstAdmin(db: Db): Promise<{ email: string; password: string } | null> {
  // the usual case: accounts exist, so no password is hashed at start-up (createFirstAdmin checks again)
  if (db.select({ id: users.id }).from(users).limit(1).get()) return null;
  const password = generatePassword();
  const id = await createFirstAdmin(db, BOOTSTRAP_ADMIN_EMAIL, password);
  return id === null ? null : { email: BOOTSTRAP_ADMIN_EMAIL, password };
}
