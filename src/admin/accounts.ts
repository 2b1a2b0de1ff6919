/**
 * The one module that writes accounts: the admin pages, "Moje konto", the command line
 * (scripts/user-add.ts), the first admin at start-up and the tests all come here. Every write is
 * one immediate transaction that also records the audit entry and, when a password changes or an
 * account is closed, ends the account's sessions.
 */
import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { units, users } from '../db/schema/index.js';
import type { Role } from '../db/schema/accounts.js';
import { DEFAULT_SCRYPT_COST, generatePassword, hashPassword, verifyPassword } from '../auth/password.js';
import { countAdmins, getUser } from '../auth/queries.js';
import { endSessionsOf } from '../auth/session-store.js';
import { changedFields, recordAudit } from './audit.js';
import { AccountError, FormError } from './errors.js';
import { emailTaken, insertUser, replaceUserUnits, unitKindsByIds, updateUser } from './queries.js';
import type { AccountCreateInput, AccountUpdateInput, UserAddArgs } from './schema.js';

export { AccountError, FormError };

type AdminState = { role: Role; active: boolean };

const ONLY_ADMIN = 'jedyne aktywne konto administratora';
const NEXT_STEP = 'Najpierw nadaj rolę administratora innemu kontu.';
const LAST_ADMIN_WHY = { role: 'nie można odebrać mu tej roli.', active: 'nie można go dezaktywować.' } as const;

export const LAST_ADMIN_MESSAGES = {
  role: `To ${ONLY_ADMIN}: ${LAST_ADMIN_WHY.role} ${NEXT_STEP}`,
  active: `To ${ONLY_ADMIN}: ${LAST_ADMIN_WHY.active} ${NEXT_STEP}`,
} as const;

/**
 * Someone must always be able to manage accounts: the last active admin may be neither demoted
 * nor deactivated. Returns the field that would break the rule, or null.
 */
export function lastAdminProblem(
  before: AdminState,
  after: AdminState,
  activeAdmins: number,
): 'role' | 'active' | null {
  const wasActiveAdmin = before.role === 'admin' && before.active;
  if (!wasActiveAdmin || activeAdmins > 1) return null;
  if (after.role !== 'admin') return 'role';
  if (!after.active) return 'active';
  return null;
}

/** Who makes the change, for the audit log: null is the command line or the system. */
type By = { actorId: number | null; via: 'self' | 'admin' | 'cli' };

const IMMEDIATE = { behavior: 'immediate' } as const;

/** What the audit log keeps of an account: never the password hash. */
function auditView(tx: Tx, account: { name: string; role: Role; active: boolean }, unitIds: number[]) {
  const names = unitIds.length
    ? tx
        .select({ id: units.id, name: units.name })
        .from(units)
        .all()
        .filter((u) => unitIds.includes(u.id))
        .map((u) => u.name)
        .sort()
    : [];
  return { name: account.name, role: account.role, active: account.active, units: names };
}

type AccountState = { name: string; role: Role; active: boolean; unitIds: number[]; passwordHash?: string };

/** Inserts the account with its units and records it. */
function insertAccount(tx: Tx, email: string, state: AccountState & { passwordHash: string }, by: By, now: string) {
  const id = insertUser(tx, { email, name: state.name, role: state.role, passwordHash: state.passwordHash, now });
  if (!state.active) updateUser(tx, id, { name: state.name, role: state.role, active: false, now });
  replaceUserUnits(tx, id, state.unitIds);
  recordAudit(
    tx,
    {
      actorId: by.actorId,
      action: 'account.created',
      subjectType: 'account',
      subjectId: id,
      subjectLabel: email,
      after: { email, ...auditView(tx, state, state.unitIds) },
    },
    now,
  );
  return id;
}

/**
 * Applies a change to an existing account and records it. A new password or a closed account
 * ends the account's sessions, all of them but `keepSid` (the owner's own, on "Moje konto").
 */
function applyAccountChange(tx: Tx, id: number, next: AccountState, by: By, now: string, keepSid?: string) {
  const before = getUser(tx, id);
  if (!before) throw new FormError('form', 'To konto już nie istnieje.');
  updateUser(tx, id, { name: next.name, role: next.role, active: next.active, passwordHash: next.passwordHash, now });
  replaceUserUnits(tx, id, next.unitIds);
  const changes = changedFields(auditView(tx, before, before.unitIds), auditView(tx, next, next.unitIds));
  if (changes) {
    recordAudit(
      tx,
      {
        actorId: by.actorId,
        action: 'account.updated',
        subjectType: 'account',
        subjectId: id,
        subjectLabel: before.email,
        ...changes,
      },
      now,
    );
  }
  const deactivated = before.active && !next.active;
  let endedSessions = 0;
  if (next.passwordHash || deactivated) endedSessions = endSessionsOf(tx, id, next.passwordHash ? keepSid : undefined);
  if (next.passwordHash) {
    recordAudit(
      tx,
      {
        actorId: by.actorId,
        action: 'account.password-changed',
        subjectType: 'account',
        subjectId: id,
        subjectLabel: before.email,
        after: { by: by.via, endedSessions },
      },
      now,
    );
  }
}

function checkAccountUnits(tx: Tx, unitIds: number[]) {
  const kinds = unitKindsByIds(tx, unitIds);
  for (const id of unitIds) {
    const kind = kinds.get(id);
    if (!kind) throw new FormError('units', 'Wybrano jednostkę, której nie ma w katalogu.');
    if (kind === 'grupa')
      throw new FormError('units', 'Grupa jednostek nie może być miejscem pracy: wybierz konkretne jednostki.');
  }
}

// ---- the admin pages ----------------------------------------------------------------------------

export async function createAccount(db: Db, input: AccountCreateInput, opts: { cost?: number; actorId: number }) {
  const passwordHash = await hashPassword(input.password, opts.cost ?? DEFAULT_SCRYPT_COST);
  const now = new Date().toISOString();
  return db.transaction((tx) => {
    if (emailTaken(tx, input.email)) throw new FormError('email', 'Konto z tym adresem e-mail już istnieje.');
    checkAccountUnits(tx, input.unitIds);
    return insertAccount(
      tx,
      input.email,
      { ...input, active: true, passwordHash },
      { actorId: opts.actorId, via: 'admin' },
      now,
    );
  }, IMMEDIATE);
}

/** An admin edits an account; a new password or deactivation signs the person out everywhere. */
export async function updateAccount(
  db: Db,
  id: number,
  input: AccountUpdateInput,
  opts: { cost?: number; actorId: number },
) {
  const passwordHash = input.password
    ? await hashPassword(input.password, opts.cost ?? DEFAULT_SCRYPT_COST)
    : undefined;
  const now = new Date().toISOString();
  db.transaction((tx) => {
    const before = getUser(tx, id);
    if (!before) throw new FormError('form', 'To konto już nie istnieje.');
    const problem = lastAdminProblem(before, input, countAdmins(tx));
    if (problem) throw new FormError(problem, LAST_ADMIN_MESSAGES[problem]);
    checkAccountUnits(tx, input.unitIds);
    applyAccountChange(tx, id, { ...input, passwordHash }, { actorId: opts.actorId, via: 'admin' }, now);
  }, IMMEDIATE);
}

// ---- "Moje konto" -------------------------------------------------------------------------------

/**
 * The owner changes their own password, proving the current one; their other sessions end, the
 * one making the change (`currentSid`) stays.
 */
export async function changeOwnPassword(
  db: Db,
  userId: number,
  input: { currentPassword: string; newPassword: string },
  opts: { cost?: number; currentSid: string },
) {
  const account = getUser(db, userId);
  if (!account?.active) throw new FormError('form', 'To konto jest nieaktywne.');
  if (!(await verifyPassword(input.currentPassword, account.passwordHash))) {
    throw new FormError('currentPassword', 'Obecne hasło jest nieprawidłowe.');
  }
  if (input.currentPassword === input.newPassword) {
    throw new FormError('newPassword', 'Nowe hasło musi się różnić od obecnego.');
  }
  const passwordHash = await hashPassword(input.newPassword, opts.cost ?? DEFAULT_SCRYPT_COST);
  const now = new Date().toISOString();
  db.transaction((tx) => {
    const before = getUser(tx, userId);
    // someone changed it meanwhile: the current password checked above is no longer the one
    if (!before || before.passwordHash !== account.passwordHash) {
      throw new FormError(
        'currentPassword',
        'Hasło zostało właśnie zmienione w innym miejscu. Odśwież stronę i spróbuj ponownie.',
      );
    }
    applyAccountChange(tx, userId, { ...before, passwordHash }, { actorId: userId, via: 'self' }, now, opts.currentSid);
  }, IMMEDIATE);
}

/** "Wyloguj ze wszystkich urządzeń": every session of the account ends, this one included. */
export function signOutEverywhere(db: Db, userId: number): number {
  return db.transaction((tx) => {
    const account = getUser(tx, userId);
    const endedSessions = endSessionsOf(tx, userId);
    recordAudit(tx, {
      actorId: userId,
      action: 'account.signed-out-everywhere',
      subjectType: 'account',
      subjectId: userId,
      subjectLabel: account?.email ?? '',
      after: { endedSessions },
    });
    return endedSessions;
  }, IMMEDIATE);
}

// ---- the command line, the first admin and the tests --------------------------------------------

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
 * Creates the account or updates the one with that e-mail (fields left out are kept). Unit staff
 * need at least one unit; other roles have none. A password is required for a new account.
 * `actorId` null: the command line or the system.
 */
export async function upsertUser(db: Db, input: UserInput, cost = DEFAULT_SCRYPT_COST, actorId: number | null = null) {
  const email = input.email.trim().toLowerCase();
  const passwordHash = input.password ? await hashPassword(input.password, cost) : undefined;
  const now = new Date().toISOString();
  const by: By = { actorId, via: actorId === null ? 'cli' : 'admin' };
  return db.transaction((tx) => {
    let unitIds = input.unitIds ?? [];
    if (input.unitNames?.length) {
      unitIds = input.unitNames.map((name) => {
        const unit = tx.select({ id: units.id, kind: units.kind }).from(units).where(eq(units.name, name)).get();
        if (!unit) throw new AccountError(`Nie ma jednostki „${name}” w katalogu.`);
        if (unit.kind === 'grupa')
          throw new AccountError(`„${name}” to grupa jednostek, a nie jednostka: wskaż konkretną jednostkę.`);
        return unit.id;
      });
    }
    if (input.role === 'unit' && unitIds.length === 0) {
      throw new AccountError('Konto pracownika jednostki musi mieć przypisaną co najmniej jedną jednostkę.');
    }
    if (input.role !== 'unit') unitIds = [];
    unitIds = [...new Set(unitIds)];
    const existing = tx.select().from(users).where(eq(users.email, email)).get();
    if (!existing) {
      if (!passwordHash) throw new AccountError('Nowe konto wymaga hasła.');
      const state = { name: input.name ?? '', role: input.role, active: input.active ?? true, unitIds, passwordHash };
      return { id: insertAccount(tx, email, state, by, now), created: true };
    }
    const next = {
      name: input.name ?? existing.name,
      role: input.role,
      active: input.active ?? existing.active,
      unitIds,
      passwordHash,
    };
    const problem = lastAdminProblem(existing, next, countAdmins(tx));
    if (problem) throw new AccountError(`${email} to ${ONLY_ADMIN}: ${LAST_ADMIN_WHY[problem]} ${NEXT_STEP}`);
    applyAccountChange(tx, existing.id, next, by, now);
    return { id: existing.id, created: false };
  }, IMMEDIATE);
}

/**
 * scripts/user-add.ts: creates the account or updates the one with that e-mail, and makes it
 * active. A new account without a password gets a generated one, returned to be shown once.
 */
export async function addAccountFromCommandLine(db: Db, args: UserAddArgs, cost = DEFAULT_SCRYPT_COST) {
  if (args.role !== 'unit' && args.unit.length)
    throw new AccountError('Opcja --unit dotyczy tylko roli unit (pracownik jednostki).');
  const existing = db.select({ id: users.id }).from(users).where(eq(users.email, args.email)).get();
  const generatedPassword = !existing && !args.password ? generatePassword() : undefined;
  const password = args.password ?? generatedPassword;
  const { id, created } = await upsertUser(
    db,
    { email: args.email, role: args.role, name: args.name, unitNames: args.unit, password, active: true },
    cost,
  );
  return { id, created, generatedPassword, email: args.email, role: args.role };
}

/** On a database without accounts, creates the first administrator; null when accounts exist. */
export async function createFirstAdmin(db: Db, email: string, password: string, cost = DEFAULT_SCRYPT_COST) {
  const passwordHash = await hashPassword(password, cost);
  const now = new Date().toISOString();
  return db.transaction((tx) => {
    if (tx.select({ id: users.id }).from(users).limit(1).get()) return null;
    const state = { name: 'Administrator', role: 'admin' as const, active: true, unitIds: [], passwordHash };
    return insertAccount(tx, email, state, { actorId: null, via: 'cli' }, now);
  }, IMMEDIATE);
}
