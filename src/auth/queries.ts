import { and, asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { units, userUnits, users } from '../db/schema/index.js';
import type { Actor } from './policy.js';

/** The active user behind a session, with the units they work for. */
export function loadActor(db: DbOrTx, userId: number): Actor {
  const user = db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.role,
      mustChangePassword: users.mustChangePassword,
    })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.active, true)))
    .get();
  if (!user) return null;
  const unitIds = db
    .select({ unitId: userUnits.unitId })
    .from(userUnits)
    .where(eq(userUnits.userId, userId))
    .all()
    .map((r) => r.unitId);
  return { ...user, unitIds };
}

export function findUserByEmail(db: DbOrTx, email: string) {
  return db.select().from(users).where(eq(users.email, email.trim().toLowerCase())).get();
}

export function listUsers(db: DbOrTx) {
  const all = db.select().from(users).orderBy(asc(users.email)).all();
  const links = db
    .select({ userId: userUnits.userId, unitId: units.id, name: units.name })
    .from(userUnits)
    .innerJoin(units, eq(units.id, userUnits.unitId))
    .orderBy(asc(units.name))
    .all();
  return all.map((u) => ({ ...u, units: links.filter((l) => l.userId === u.id) }));
}

export function getUser(db: DbOrTx, id: number) {
  const user = db.select().from(users).where(eq(users.id, id)).get();
  if (!user) return undefined;
  const unitIds = db
    .select({ unitId: userUnits.unitId })
    .from(userUnits)
    .where(eq(userUnits.userId, id))
    .all()
    .map((r) => r.unitId);
  return { ...user, unitIds };
}

export function countAdmins(db: DbOrTx): number {
  return db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, 'admin'), eq(users.active, true)))
    .all().length;
}

/** The ids of the accounts that may sign in. */
export function activeUserIds(db: DbOrTx): number[] {
  return db
    .select({ id: users.id })
    .from(users)
    .where(eq(users.active, true))
    .all()
    .map((r) => r.id);
}
