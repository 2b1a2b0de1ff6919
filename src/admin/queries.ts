import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import {
  assignments,
  positions,
  unitFormerSlugs,
  unitGroupMembers,
  units,
  userUnits,
  users,
} from '../db/schema/index.js';
import type { UnitKind } from '../db/schema/units.js';
import type { OutboxState } from '../db/schema/notifications.js';

export type UnitRow = typeof units.$inferSelect;

/** Units an account can work for, or a group can contain: every unit that is not a group. */
export function listMemberUnits(db: DbOrTx) {
  return db
    .select({ id: units.id, name: units.name, kind: units.kind })
    .from(units)
    .where(ne(units.kind, 'grupa'))
    .orderBy(asc(units.name))
    .all();
}

/** The whole directory, each group with its member units. */
export function listUnitsWithMembers(db: DbOrTx) {
  const all = db.select().from(units).orderBy(asc(units.name)).all();
  const links = db
    .select({ groupId: unitGroupMembers.groupId, id: units.id, name: units.name })
    .from(unitGroupMembers)
    .innerJoin(units, eq(units.id, unitGroupMembers.unitId))
    .orderBy(asc(units.name))
    .all();
  return all.map((u) => ({
    ...u,
    members: links.filter((l) => l.groupId === u.id).map(({ id, name }) => ({ id, name })),
  }));
}

export function getUnit(db: DbOrTx, id: number) {
  return db.select().from(units).where(eq(units.id, id)).get();
}

export function memberIdsOfGroup(db: DbOrTx, groupId: number): number[] {
  return db
    .select({ unitId: unitGroupMembers.unitId })
    .from(unitGroupMembers)
    .where(eq(unitGroupMembers.groupId, groupId))
    .all()
    .map((r) => r.unitId);
}

export function unitKindsByIds(db: DbOrTx, ids: number[]): Map<number, UnitKind> {
  if (ids.length === 0) return new Map();
  const rows = db.select({ id: units.id, kind: units.kind }).from(units).where(inArray(units.id, ids)).all();
  return new Map(rows.map((r) => [r.id, r.kind]));
}

/** Names and slugs of every unit but one, for the uniqueness checks. */
export function otherUnitNamesAndSlugs(db: DbOrTx, exceptId?: number) {
  const q = db.select({ name: units.name, slug: units.slug }).from(units);
  return (exceptId === undefined ? q : q.where(ne(units.id, exceptId))).all();
}

/** Slugs every unit but one had before a rename: taken for good, so old links keep leading to their unit. */
export function otherUnitsFormerSlugs(db: DbOrTx, exceptId?: number): string[] {
  const q = db.select({ slug: unitFormerSlugs.slug }).from(unitFormerSlugs);
  return (exceptId === undefined ? q : q.where(ne(unitFormerSlugs.unitId, exceptId))).all().map((r) => r.slug);
}

/**
 * A unit's slug changes from `from` to `to`: `from` is kept as a former slug (its links are redirected), and `to`,
 * if it was one of the unit's own former slugs, is current again.
 */
export function retireUnitSlug(db: DbOrTx, unitId: number, from: string, to: string, now: Date): void {
  db.delete(unitFormerSlugs)
    .where(and(eq(unitFormerSlugs.unitId, unitId), eq(unitFormerSlugs.slug, to)))
    .run();
  db.insert(unitFormerSlugs).values({ slug: from, unitId, retiredAt: now.toISOString() }).onConflictDoNothing().run();
}

/** What ties a unit to being a single unit (and so keeps it from becoming a group). */
export function unitUsage(db: DbOrTx, unitId: number) {
  const has = (rows: unknown[]) => rows.length > 0;
  return {
    accounts: has(
      db.select({ x: userUnits.userId }).from(userUnits).where(eq(userUnits.unitId, unitId)).limit(1).all(),
    ),
    groups: has(
      db
        .select({ x: unitGroupMembers.groupId })
        .from(unitGroupMembers)
        .where(eq(unitGroupMembers.unitId, unitId))
        .limit(1)
        .all(),
    ),
    assignments:
      has(db.select({ x: assignments.id }).from(assignments).where(eq(assignments.unitId, unitId)).limit(1).all()) ||
      has(db.select({ x: positions.id }).from(positions).where(eq(positions.unitId, unitId)).limit(1).all()),
  };
}

export function insertUnit(db: DbOrTx, values: { name: string; slug: string; kind: UnitKind; email: string }): number {
  return db.insert(units).values(values).returning({ id: units.id }).get().id;
}

export function updateUnit(
  db: DbOrTx,
  id: number,
  values: { name: string; slug: string; kind: UnitKind; email: string },
) {
  db.update(units).set(values).where(eq(units.id, id)).run();
}

export function replaceGroupMembers(db: DbOrTx, groupId: number, memberIds: number[]) {
  db.delete(unitGroupMembers).where(eq(unitGroupMembers.groupId, groupId)).run();
  if (memberIds.length)
    db.insert(unitGroupMembers)
      .values(memberIds.map((unitId) => ({ groupId, unitId })))
      .run();
}

export function emailTaken(db: DbOrTx, email: string, exceptUserId?: number): boolean {
  const cond =
    exceptUserId === undefined ? eq(users.email, email) : and(eq(users.email, email), ne(users.id, exceptUserId));
  return db.select({ id: users.id }).from(users).where(cond).limit(1).all().length > 0;
}

export function insertUser(
  db: DbOrTx,
  values: {
    email: string;
    name: string;
    role: typeof users.$inferInsert.role;
    passwordHash: string;
    mustChangePassword: boolean;
    now: string;
  },
): number {
  const { now, ...rest } = values;
  return db
    .insert(users)
    .values({ ...rest, active: true, createdAt: now, updatedAt: now })
    .returning({ id: users.id })
    .get().id;
}

export function updateUser(
  db: DbOrTx,
  id: number,
  values: {
    name: string;
    role: typeof users.$inferInsert.role;
    active: boolean;
    /** a new password, and whether its owner must replace it at the next login (default: no) */
    passwordHash?: string;
    mustChangePassword?: boolean;
    now: string;
  },
) {
  const { now, passwordHash, mustChangePassword, ...rest } = values;
  const password = passwordHash ? { passwordHash, mustChangePassword: mustChangePassword ?? false } : {};
  db.update(users)
    .set({ ...rest, ...password, updatedAt: now })
    .where(eq(users.id, id))
    .run();
}

export function replaceUserUnits(db: DbOrTx, userId: number, unitIds: number[]) {
  db.delete(userUnits).where(eq(userUnits.userId, userId)).run();
  if (unitIds.length)
    db.insert(userUnits)
      .values(unitIds.map((unitId) => ({ userId, unitId })))
      .run();
}

export type InvitationMail = { createdAt: string; state: OutboxState; sentAt: string | null };

/** Each account's latest invitation mail: when it was queued, and whether it has left (for the account list). */
export function latestInvitations(db: DbOrTx): Map<number, InvitationMail> {
  const rows = db.all<InvitationMail & { userId: number }>(sql`
    SELECT json_extract(payload, '$.userId') AS userId, created_at AS createdAt, state, sent_at AS sentAt
    FROM outbox WHERE kind = 'account-invitation' ORDER BY id`);
  return new Map(rows.map(({ userId, ...mail }) => [userId, mail]));
}
