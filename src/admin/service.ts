import type { Db, DbOrTx } from '../db/client.js';
import type { Role } from '../db/schema/accounts.js';
import type { UnitKind } from '../db/schema/units.js';
import { bumpDataVersion } from '../db/version.js';
import { slugify } from '../lib/text.js';
import { DEFAULT_SCRYPT_COST, generatePassword, hashPassword } from '../auth/password.js';
import { countAdmins, findUserByEmail, getUser } from '../auth/queries.js';
import { AccountError, upsertUser } from '../auth/service.js';
import {
  emailTaken, endSessionsOf, getUnit, insertUnit, insertUser, otherUnitNamesAndSlugs, replaceGroupMembers,
  replaceUserUnits, unitKindsByIds, unitUsage, updateUnit, updateUser,
} from './queries.js';
import type { AccountCreateInput, AccountUpdateInput, UnitFormInput, UserAddArgs } from './schema.js';

/** A rule the form broke that only the database can tell (a taken name, the last admin): shown by the field. */
export class FormError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

type AdminState = { role: Role; active: boolean };

export const LAST_ADMIN_MESSAGES = {
  role: 'To jedyne aktywne konto administratora: nie można odebrać mu tej roli. Najpierw nadaj rolę administratora innemu kontu.',
  active: 'To jedyne aktywne konto administratora: nie można go dezaktywować. Najpierw nadaj rolę administratora innemu kontu.',
} as const;

/**
 * Someone must always be able to manage accounts: the last active admin may be neither demoted
 * nor deactivated. Returns the field that would break the rule, or null.
 */
export function lastAdminProblem(before: AdminState, after: AdminState, activeAdmins: number): 'role' | 'active' | null {
  const wasActiveAdmin = before.role === 'admin' && before.active;
  if (!wasActiveAdmin || activeAdmins > 1) return null;
  if (after.role !== 'admin') return 'role';
  if (!after.active) return 'active';
  return null;
}

/** The base slug, else the first free "-2", "-3"… variant (kept within the 80 characters of a slug). */
export function uniqueSlug(base: string, taken: ReadonlySet<string>): string {
  const root = base || 'jednostka';
  if (!taken.has(root)) return root;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${root.slice(0, 80 - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Unit names compare without regard to letter case ("Wydział Edukacji" = "wydział edukacji"). */
export function sameUnitName(a: string, b: string): boolean {
  return a.toLocaleLowerCase('pl') === b.toLocaleLowerCase('pl');
}

const UNKNOWN_UNIT = 'Wybrano jednostkę, której nie ma w katalogu.';

function checkAccountUnits(tx: DbOrTx, unitIds: number[]) {
  const kinds = unitKindsByIds(tx, unitIds);
  for (const id of unitIds) {
    const kind = kinds.get(id);
    if (!kind) throw new FormError('units', UNKNOWN_UNIT);
    if (kind === 'grupa') throw new FormError('units', 'Grupa jednostek nie może być miejscem pracy: wybierz konkretne jednostki.');
  }
}

export async function createAccount(db: Db, input: AccountCreateInput, cost = DEFAULT_SCRYPT_COST): Promise<number> {
  const passwordHash = await hashPassword(input.password, cost);
  const now = new Date().toISOString();
  return db.transaction((tx) => {
    if (emailTaken(tx, input.email)) throw new FormError('email', 'Konto z tym adresem e-mail już istnieje.');
    checkAccountUnits(tx, input.unitIds);
    const id = insertUser(tx, { email: input.email, name: input.name, role: input.role, passwordHash, now });
    replaceUserUnits(tx, id, input.unitIds);
    return id;
  });
}

export async function updateAccount(
  db: Db,
  id: number,
  input: AccountUpdateInput,
  opts: { cost?: number; actingSessionId?: string } = {},
): Promise<void> {
  const passwordHash = input.password ? await hashPassword(input.password, opts.cost ?? DEFAULT_SCRYPT_COST) : undefined;
  const now = new Date().toISOString();
  db.transaction((tx) => {
    const before = getUser(tx, id);
    if (!before) throw new FormError('form', 'To konto już nie istnieje.');
    const problem = lastAdminProblem(before, input, countAdmins(tx));
    if (problem) throw new FormError(problem, LAST_ADMIN_MESSAGES[problem]);
    checkAccountUnits(tx, input.unitIds);
    updateUser(tx, id, { name: input.name, role: input.role, active: input.active, passwordHash, now });
    replaceUserUnits(tx, id, input.unitIds);
    // a reset password or a closed account must not leave a session open elsewhere
    if (passwordHash || (before.active && !input.active)) endSessionsOf(tx, id, opts.actingSessionId);
  });
}

function checkUnitName(tx: DbOrTx, name: string, exceptId?: number) {
  const others = otherUnitNamesAndSlugs(tx, exceptId);
  if (others.some((o) => sameUnitName(o.name, name))) throw new FormError('name', 'Jednostka o tej nazwie już jest w katalogu.');
  return uniqueSlug(slugify(name), new Set(others.map((o) => o.slug)));
}

function checkMembers(tx: DbOrTx, kind: UnitKind, memberIds: number[], selfId?: number) {
  if (kind !== 'grupa') {
    if (memberIds.length) throw new FormError('members', 'Jednostki członkowskie może mieć tylko grupa jednostek: odznacz je albo wybierz rodzaj „grupa”.');
    return;
  }
  const kinds = unitKindsByIds(tx, memberIds);
  for (const id of memberIds) {
    const memberKind = kinds.get(id);
    if (!memberKind || id === selfId) throw new FormError('members', 'Wybrano jednostkę członkowską, której nie ma w katalogu.');
    if (memberKind === 'grupa') throw new FormError('members', 'Grupa nie może należeć do innej grupy: wybierz pojedyncze jednostki.');
  }
}

/** A unit with accounts, group memberships or work on proposals cannot turn into a group. */
function checkBecomingGroup(tx: DbOrTx, id: number) {
  const usage = unitUsage(tx, id);
  if (usage.accounts) throw new FormError('kind', 'Do tej jednostki są przypisane konta pracowników, a grupa nie może ich mieć. Najpierw zmień jednostki tych kont.');
  if (usage.groups) throw new FormError('kind', 'Ta jednostka należy do grupy jednostek, a grupa nie może należeć do innej grupy. Najpierw usuń ją z tamtej grupy.');
  if (usage.assignments) throw new FormError('kind', 'Ta jednostka ma przydzielone propozycje lub stanowiska, więc nie może stać się grupą.');
}

/** Public pages list units, so every change bumps the data version in the same transaction. */
export function createUnit(db: Db, input: UnitFormInput): number {
  return db.transaction((tx) => {
    const slug = checkUnitName(tx, input.name);
    checkMembers(tx, input.kind, input.members);
    const id = insertUnit(tx, { name: input.name, slug, kind: input.kind, email: input.email });
    if (input.kind === 'grupa') replaceGroupMembers(tx, id, input.members);
    bumpDataVersion(tx);
    return id;
  });
}

export function editUnit(db: Db, id: number, input: UnitFormInput): void {
  db.transaction((tx) => {
    const before = getUnit(tx, id);
    if (!before) throw new FormError('form', 'Tej jednostki już nie ma w katalogu.');
    const slug = checkUnitName(tx, input.name, id);
    if (input.kind === 'grupa' && before.kind !== 'grupa') checkBecomingGroup(tx, id);
    checkMembers(tx, input.kind, input.members, id);
    updateUnit(tx, id, { name: input.name, slug, kind: input.kind, email: input.email });
    replaceGroupMembers(tx, id, input.kind === 'grupa' ? input.members : []);
    bumpDataVersion(tx);
  });
}

/**
 * scripts/user-add.ts: creates the account or updates the one with that e-mail, and makes it
 * active. A new account without a password gets a generated one, returned to be shown once.
 */
export async function addAccountFromCommandLine(db: Db, args: UserAddArgs, cost = DEFAULT_SCRYPT_COST) {
  if (args.role !== 'unit' && args.unit.length) throw new AccountError('Opcja --unit dotyczy tylko roli unit (pracownik jednostki).');
  const existing = findUserByEmail(db, args.email);
  if (existing && lastAdminProblem(existing, { role: args.role, active: true }, countAdmins(db)))
    throw new AccountError(`${args.email} to jedyne aktywne konto administratora: nie można odebrać mu tej roli. Najpierw nadaj rolę administratora innemu kontu.`);
  const generatedPassword = !existing && !args.password ? generatePassword() : undefined;
  const password = args.password ?? generatedPassword;
  const { id, created } = await upsertUser(
    db,
    { email: args.email, role: args.role, name: args.name, unitNames: args.unit, password, active: true },
    cost,
  );
  return { id, created, generatedPassword, email: args.email, role: args.role };
}
