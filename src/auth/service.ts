import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { units, userUnits, users } from '../db/schema/index.js';
import type { Role } from '../db/schema/accounts.js';
import { DEFAULT_SCRYPT_COST, hashPassword, verifyPassword } from './password.js';
import { findUserByEmail } from './queries.js';

export class AccountError extends Error {}

/** Verifies e-mail and password; the same answer (null) for an unknown e-mail and a wrong password. */
export async function authenticate(db: Db, email: string, password: string, dummyHash: () => Promise<string>) {
  const user = findUserByEmail(db, email);
  // hash even when the e-mail is unknown, so timing does not tell which one was wrong
  const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
  if (!user || !user.active || !ok) return null;
  return user;
}

export type UserInput = {
  email: string;
  name?: string;
  role: Role;
  unitNames?: string[];
  unitIds?: number[];
  password?: string;
  active?: boolean;
};

/**
 * Creates the account or updates the one with that e-mail. Unit staff need at least one unit;
 * other roles have none. A password is required for a new account.
 */
export async function upsertUser(db: Db, input: UserInput, cost = DEFAULT_SCRYPT_COST) {
  const email = input.email.trim().toLowerCase();
  const passwordHash = input.password ? await hashPassword(input.password, cost) : undefined;
  const now = new Date().toISOString();
  return db.transaction((tx) => {
    let unitIds = input.unitIds ?? [];
    if (input.unitNames?.length) {
      unitIds = input.unitNames.map((name) => {
        const unit = tx.select({ id: units.id, kind: units.kind }).from(units).where(eq(units.name, name)).get();
        if (!unit) throw new AccountError(`Nie ma jednostki „${name}” w katalogu.`);
        if (unit.kind === 'grupa') throw new AccountError(`„${name}” to grupa jednostek, a nie jednostka: wskaż konkretną jednostkę.`);
        return unit.id;
      });
    }
    if (input.role === 'unit' && unitIds.length === 0) throw new AccountError('Konto pracownika jednostki musi mieć przypisaną co najmniej jedną jednostkę.');
    if (input.role !== 'unit') unitIds = [];
    const existing = tx.select().from(users).where(eq(users.email, email)).get();
    let id: number;
    if (existing) {
      tx.update(users).set({
        role: input.role,
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(passwordHash ? { passwordHash } : {}),
        ...(input.active !== undefined ? { active: input.active } : {}),
        updatedAt: now,
      }).where(eq(users.id, existing.id)).run();
      id = existing.id;
    } else {
      if (!passwordHash) throw new AccountError('Nowe konto wymaga hasła.');
      id = tx.insert(users).values({ email, name: input.name ?? '', role: input.role, passwordHash, active: input.active ?? true, createdAt: now, updatedAt: now })
        .returning({ id: users.id }).get().id;
    }
    tx.delete(userUnits).where(eq(userUnits.userId, id)).run();
    if (unitIds.length) tx.insert(userUnits).values([...new Set(unitIds)].map((unitId) => ({ userId: id, unitId }))).run();
    return { id, created: !existing };
  });
}
