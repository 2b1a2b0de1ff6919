import type { Db } from '../db/client.js';
import { users } from '../db/schema/index.js';
import { generatePassword } from './password.js';
import { upsertUser } from './service.js';

export const BOOTSTRAP_ADMIN_EMAIL = 'admin@localhost';

/**
 * On a database without accounts, creates the first administrator with a random password, so a
 * newcomer can log in; returns the password to print once (null when accounts already exist).
 */
export async function ensureFirstAdmin(db: Db): Promise<{ email: string; password: string } | null> {
  if (db.select({ id: users.id }).from(users).limit(1).get()) return null;
  const password = generatePassword();
  await upsertUser(db, { email: BOOTSTRAP_ADMIN_EMAIL, name: 'Administrator', role: 'admin', password });
  return { email: BOOTSTRAP_ADMIN_EMAIL, password };
}
