/**
 * The one module that writes accounts: the admin pages, "Moje konto", the links in invitation and
 * password-reset mails, the command line (src/cli/user-add.ts), the first admin at start-up and the
 * tests all come here. Every write is one immediate transaction that also records the audit entry
 * and, when a password changes or an account is closed, ends the account's sessions and revokes its
 * links. An account is made either with a password an admin typed (its owner must replace it at the
 * first login) or without one: its owner gets an invitation mail with a one-time link to choose it.
 */
import { createHash } from 'node:crypto';
import { and, count, eq, gt, lt } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { passwordResetRequests, units, users } from '../db/schema/index.js';
import type { Role } from '../db/schema/accounts.js';
import { DEFAULT_SCRYPT_COST, hasPassword, hashPassword, NO_PASSWORD, verifyPassword } from '../auth/password.js';
import { countAdmins, getUser } from '../auth/queries.js';
import { endSessionsOf } from '../auth/session-store.js';
import {
  type AccountTokenPurpose,
  lookupAccountToken,
  revokeAccountTokens,
  useAccountToken,
} from '../auth/account-tokens.js';
import { enqueueAccountMail } from '../notifications/account-mail.js';
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

/**
 * Who makes the change, for the audit log: null is the command line or the system. `invitation` and `reset`: the
 * owner, through the link of such a mail; `link`: whoever opened an expired invitation link and asked for another.
 */
type By = { actorId: number | null; via: 'self' | 'admin' | 'cli' | 'invitation' | 'reset' | 'link' };

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

type AccountState = {
  name: string;
  role: Role;
  active: boolean;
  unitIds: number[];
  /** a new password (NO_PASSWORD for an account whose owner will choose it) */
  passwordHash?: string;
  /** with a new password: its owner must replace it at the next login (it was typed by an admin) */
  mustChangePassword?: boolean;
};

/** Inserts the account with its units and records it; without a password, its owner is invited to choose one. */
function insertAccount(tx: Tx, email: string, state: AccountState & { passwordHash: string }, by: By, now: string) {
  const id = insertUser(tx, {
    email,
    name: state.name,
    role: state.role,
    passwordHash: state.passwordHash,
    mustChangePassword: hasPassword(state.passwordHash) && (state.mustChangePassword ?? false),
    now,
  });
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
  if (!hasPassword(state.passwordHash)) sendInvitation(tx, id, email, by, now);
  return id;
}

/** Queues an invitation mail (the worker mints its link when it sends it) and records it. */
function sendInvitation(tx: Tx, id: number, email: string, by: By, now: string) {
  enqueueAccountMail(tx, 'invitation', { userId: id }, new Date(now));
  recordAudit(
    tx,
    {
      actorId: by.actorId,
      action: 'account.invitation-sent',
      subjectType: 'account',
      subjectId: id,
      subjectLabel: email,
      after: { by: by.via },
    },
    now,
  );
}

/**
 * Applies a change to an existing account and records it. A new password or a closed account
 * ends the account's sessions, all of them but `keepSid` (the owner's own, on "Moje konto"),
 * and revokes the links of mails sent for it (an invitation, a password reset).
 */
function applyAccountChange(tx: Tx, id: number, next: AccountState, by: By, now: string, keepSid?: string) {
  const before = getUser(tx, id);
  if (!before) throw new FormError('form', 'To konto już nie istnieje.');
  updateUser(tx, id, {
    name: next.name,
    role: next.role,
    active: next.active,
    passwordHash: next.passwordHash,
    mustChangePassword: next.mustChangePassword,
    now,
  });
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
  if (next.passwordHash || deactivated) {
    endedSessions = endSessionsOf(tx, id, next.passwordHash ? keepSid : undefined);
    revokeAccountTokens(tx, id, new Date(now));
  }
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

/**
 * An admin makes an account. Without a password its owner gets an invitation to choose one (`invited`); a
 * password the admin typed must be replaced by its owner at the first login.
 */
export async function createAccount(db: Db, input: AccountCreateInput, opts: { cost?: number; actorId: number }) {
  const passwordHash = input.password
    ? await hashPassword(input.password, opts.cost ?? DEFAULT_SCRYPT_COST)
    : NO_PASSWORD;
  const now = new Date().toISOString();
  return db.transaction((tx) => {
    if (emailTaken(tx, input.email)) throw new FormError('email', 'Konto z tym adresem e-mail już istnieje.');
    checkAccountUnits(tx, input.unitIds);
    const id = insertAccount(
      tx,
      input.email,
      { ...input, active: true, passwordHash, mustChangePassword: true },
      { actorId: opts.actorId, via: 'admin' },
      now,
    );
    return { id, invited: !hasPassword(passwordHash) };
  }, IMMEDIATE);
}

/**
 * An admin edits an account; a new password (which its owner must replace at the next login) or
 * deactivation signs the person out everywhere.
 */
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
    const next = { ...input, passwordHash, mustChangePassword: true };
    applyAccountChange(tx, id, next, { actorId: opts.actorId, via: 'admin' }, now);
  }, IMMEDIATE);
}

export const INVITATION_REFUSALS = {
  inactive: 'To konto jest nieaktywne: zaznacz „Konto aktywne” i zapisz, zanim wyślesz zaproszenie.',
  hasPassword:
    'Ta osoba ustaliła już hasło, więc zaproszenie nie jest potrzebne. Jeśli go nie pamięta, może skorzystać z ' +
    '„Nie pamiętasz hasła?” na stronie logowania.',
} as const;

/** "Wyślij zaproszenie ponownie": a new invitation (a new link) for an active account still without a password. */
export function resendInvitation(db: Db, id: number, actorId: number): string {
  const now = new Date().toISOString();
  return db.transaction((tx) => {
    const account = getUser(tx, id);
    if (!account) throw new FormError('form', 'To konto już nie istnieje.');
    if (!account.active) throw new FormError('form', INVITATION_REFUSALS.inactive);
    if (hasPassword(account.passwordHash)) throw new FormError('form', INVITATION_REFUSALS.hasPassword);
    sendInvitation(tx, id, account.email, { actorId, via: 'admin' }, now);
    return account.email;
  }, IMMEDIATE);
}

// ---- the links in invitation and password-reset mails --------------------------------------------

/** What a link mail's page can say: the link works, or why it does not. */
export type LinkState =
  | { status: 'ok'; purpose: AccountTokenPurpose; email: string }
  | { status: 'expired'; purpose: AccountTokenPurpose }
  | { status: 'used' | 'unknown' };

/** Whether the link still sets a password (its account active), for the page it opens. */
export function accountLinkState(db: Db, token: string, now = new Date()): LinkState {
  const found = lookupAccountToken(db, token, now);
  if (found.status === 'unknown' || found.status === 'used') return { status: found.status };
  const account = getUser(db, found.row.userId);
  // a closed account's links are revoked; one closed another way is no less closed
  if (!account?.active) return { status: 'used' };
  if (found.status === 'expired') return { status: 'expired', purpose: found.row.purpose };
  return { status: 'ok', purpose: found.row.purpose, email: account.email };
}

/**
 * The owner chooses a password through the link of an invitation or a password reset. The link is used up, every
 * other link of the account revoked and every session of the account ended (nobody is signed in by this: the
 * owner logs in next, with the new password); the old password, if any, stops working.
 */
export async function setPasswordThroughLink(
  db: Db,
  token: string,
  newPassword: string,
  opts: { cost?: number; now?: Date } = {},
): Promise<LinkState> {
  const now = opts.now ?? new Date();
  const state = accountLinkState(db, token, now);
  if (state.status !== 'ok') return state;
  const passwordHash = await hashPassword(newPassword, opts.cost ?? DEFAULT_SCRYPT_COST);
  return db.transaction((tx): LinkState => {
    const found = lookupAccountToken(tx, token, now);
    // another tab used it while the password was being hashed
    if (found.status !== 'ok' || !useAccountToken(tx, found.row.id, now)) return { status: 'used' };
    const before = getUser(tx, found.row.userId);
    if (!before?.active) return { status: 'used' };
    const via = found.row.purpose === 'invitation' ? 'invitation' : 'reset';
    const next = { ...before, passwordHash, mustChangePassword: false };
    applyAccountChange(tx, before.id, next, { actorId: before.id, via }, now.toISOString());
    return state;
  }, IMMEDIATE);
}

/**
 * The page of an expired invitation link offers a new one: it is sent (to the account's own address) while the
 * account is active and still without a password, once per expired link (a password set since has revoked the
 * link anyway). False: nothing was sent.
 */
export function renewInvitation(db: Db, token: string, now = new Date()): boolean {
  return db.transaction((tx) => {
    const found = lookupAccountToken(tx, token, now);
    if (found.status !== 'expired' || found.row.purpose !== 'invitation') return false;
    const account = getUser(tx, found.row.userId);
    if (!account?.active || hasPassword(account.passwordHash)) return false;
    if (!useAccountToken(tx, found.row.id, now, { expired: true })) return false;
    sendInvitation(tx, account.id, account.email, { actorId: null, via: 'link' }, now.toISOString());
    return true;
  }, IMMEDIATE);
}

/** Links sent to one address in PASSWORD_RESET_WINDOW_MS at most (whoever asks). */
export const PASSWORD_RESET_MAX_PER_ADDRESS = 3;
export const PASSWORD_RESET_WINDOW_MS = 3_600_000;
/** Request rows older than this are deleted by every request. */
const PASSWORD_RESET_KEEP_MS = 86_400_000;

/**
 * "Nie pamiętasz hasła?": a link to set a new password goes to the address if it is an active account's, at most
 * PASSWORD_RESET_MAX_PER_ADDRESS per hour. Returns nothing on purpose: whether the address has an account must
 * not reach the answer, and the work done is the same either way – the same statements in the same transaction
 * (the request row is written for every address, the mail row by a statement that finds no account to write it
 * for) – so not even the time taken tells.
 */
export function requestPasswordReset(db: Db, email: string, now = new Date()): void {
  const emailHash = createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
  const at = now.toISOString();
  db.transaction((tx) => {
    const forget = new Date(now.getTime() - PASSWORD_RESET_KEEP_MS).toISOString();
    tx.delete(passwordResetRequests).where(lt(passwordResetRequests.createdAt, forget)).run();
    const since = new Date(now.getTime() - PASSWORD_RESET_WINDOW_MS).toISOString();
    const recent =
      tx
        .select({ n: count() })
        .from(passwordResetRequests)
        .where(and(eq(passwordResetRequests.emailHash, emailHash), gt(passwordResetRequests.createdAt, since)))
        .get()?.n ?? 0;
    tx.insert(passwordResetRequests).values({ emailHash, createdAt: at }).run();
    if (recent < PASSWORD_RESET_MAX_PER_ADDRESS) enqueueAccountMail(tx, 'password-reset', { email }, now);
  }, IMMEDIATE);
}

// ---- "Moje konto" -------------------------------------------------------------------------------

/**
 * The owner changes their own password, proving the current one; their other sessions end, the
 * one making the change (`currentSid`) stays. A password an admin typed is replaced this way.
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
    const next = { ...before, passwordHash, mustChangePassword: false };
    applyAccountChange(tx, userId, next, { actorId: userId, via: 'self' }, now, opts.currentSid);
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
  /** with `password`: its owner must replace it at the next login (an admin typed it) */
  mustChangePassword?: boolean;
  /** without `password`: invite the owner to choose one (a new account, or one still without a password) */
  invite?: boolean;
  active?: boolean;
};

/**
 * Creates the account or updates the one with that e-mail (fields left out are kept). Unit staff
 * need at least one unit; other roles have none. A new account needs a password or an invitation.
 * `actorId` null: the command line or the system.
 */
export async function upsertUser(db: Db, input: UserInput, cost = DEFAULT_SCRYPT_COST, actorId: number | null = null) {
  const email = input.email.trim().toLowerCase();
  const passwordHash = input.password ? await hashPassword(input.password, cost) : undefined;
  const mustChangePassword = passwordHash !== undefined && (input.mustChangePassword ?? false);
  const invite = passwordHash === undefined && (input.invite ?? false);
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
      if (!passwordHash && !invite) throw new AccountError('Nowe konto wymaga hasła.');
      const state = {
        name: input.name ?? '',
        role: input.role,
        active: input.active ?? true,
        unitIds,
        passwordHash: passwordHash ?? NO_PASSWORD,
        mustChangePassword,
      };
      return { id: insertAccount(tx, email, state, by, now), created: true, invited: invite };
    }
    const next = {
      name: input.name ?? existing.name,
      role: input.role,
      active: input.active ?? existing.active,
      unitIds,
      passwordHash,
      mustChangePassword,
    };
    const problem = lastAdminProblem(existing, next, countAdmins(tx));
    if (problem) throw new AccountError(`${email} to ${ONLY_ADMIN}: ${LAST_ADMIN_WHY[problem]} ${NEXT_STEP}`);
    applyAccountChange(tx, existing.id, next, by, now);
    const reinvite = invite && next.active && !hasPassword(existing.passwordHash);
    if (reinvite) sendInvitation(tx, existing.id, email, by, now);
    return { id: existing.id, created: false, invited: reinvite };
  }, IMMEDIATE);
}

/**
 * src/cli/user-add.ts: creates the account or updates the one with that e-mail, and makes it
 * active. Without a password a new account's owner is invited to choose one (and an account whose
 * owner has not chosen one yet is invited again); a password typed here must be replaced by its
 * owner at the first login.
 */
export async function addAccountFromCommandLine(db: Db, args: UserAddArgs, cost = DEFAULT_SCRYPT_COST) {
  if (args.role !== 'unit' && args.unit.length)
    throw new AccountError('Opcja --unit dotyczy tylko roli unit (pracownik jednostki).');
  const { id, created, invited } = await upsertUser(
    db,
    {
      email: args.email,
      role: args.role,
      name: args.name,
      unitNames: args.unit,
      password: args.password,
      mustChangePassword: true,
      invite: true,
      active: true,
    },
    cost,
  );
  return { id, created, invited, email: args.email, role: args.role };
}

/**
 * On a database without accounts, creates the first administrator (with the password printed at
 * start-up, which its owner must replace at the first login); null when accounts exist.
 */
export async function createFirstAdmin(db: Db, email: string, password: string, cost = DEFAULT_SCRYPT_COST) {
  const passwordHash = await hashPassword(password, cost);
  const now = new Date().toISOString();
  return db.transaction((tx) => {
    if (tx.select({ id: users.id }).from(users).limit(1).get()) return null;
    const state = {
      name: 'Administrator',
      role: 'admin' as const,
      active: true,
      unitIds: [],
      passwordHash,
      mustChangePassword: true,
    };
    return insertAccount(tx, email, state, { actorId: null, via: 'cli' }, now);
  }, IMMEDIATE);
}
