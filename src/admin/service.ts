import type { Db, DbOrTx, Tx } from '../db/client.js';
import type { UnitKind } from '../db/schema/units.js';
import { bumpDataVersion } from '../db/version.js';
import { slugify } from '../lib/text.js';
import { recordAudit, changedFields } from './audit.js';
import { FormError } from './errors.js';
import {
  getUnit,
  insertUnit,
  listMemberUnits,
  memberIdsOfGroup,
  otherUnitNamesAndSlugs,
  otherUnitsFormerSlugs,
  replaceGroupMembers,
  retireUnitSlug,
  unitKindsByIds,
  unitUsage,
  updateUnit,
} from './queries.js';
import type { UnitFormInput } from './schema.js';

/** The unit directory's writes (accounts are written in ./accounts.ts). */
export { FormError };

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

/**
 * The slugs a unit (`exceptId`, or a new one) may not take: other units' current and former ones. Its own former
 * slugs are free, so renaming a unit back gives it its old slug again.
 */
export function takenUnitSlugs(tx: DbOrTx, exceptId?: number): Set<string> {
  const current = otherUnitNamesAndSlugs(tx, exceptId).map((o) => o.slug);
  return new Set([...current, ...otherUnitsFormerSlugs(tx, exceptId)]);
}

function checkUnitName(tx: DbOrTx, name: string, exceptId?: number) {
  if (otherUnitNamesAndSlugs(tx, exceptId).some((o) => sameUnitName(o.name, name)))
    throw new FormError('name', 'Jednostka o tej nazwie już jest w katalogu.');
  return uniqueSlug(slugify(name), takenUnitSlugs(tx, exceptId));
}

function checkMembers(tx: DbOrTx, kind: UnitKind, memberIds: number[], selfId?: number) {
  if (kind !== 'grupa') {
    if (memberIds.length)
      throw new FormError(
        'members',
        'Jednostki członkowskie może mieć tylko grupa jednostek: odznacz je albo wybierz rodzaj „grupa”.',
      );
    return;
  }
  const kinds = unitKindsByIds(tx, memberIds);
  for (const id of memberIds) {
    const memberKind = kinds.get(id);
    if (!memberKind || id === selfId)
      throw new FormError('members', 'Wybrano jednostkę członkowską, której nie ma w katalogu.');
    if (memberKind === 'grupa')
      throw new FormError('members', 'Grupa nie może należeć do innej grupy: wybierz pojedyncze jednostki.');
  }
}

/** A unit with accounts, group memberships or work on proposals cannot turn into a group. */
function checkBecomingGroup(tx: DbOrTx, id: number) {
  const usage = unitUsage(tx, id);
  if (usage.accounts)
    throw new FormError(
      'kind',
      'Do tej jednostki są przypisane konta pracowników, a grupa nie może ich mieć. Najpierw zmień jednostki tych ' +
        'kont.',
    );
  if (usage.groups)
    throw new FormError(
      'kind',
      'Ta jednostka należy do grupy jednostek, a grupa nie może należeć do innej grupy. Najpierw usuń ją z tamtej ' +
        'grupy.',
    );
  if (usage.assignments)
    throw new FormError(
      'kind',
      'Ta jednostka ma przydzielone propozycje lub stanowiska, więc nie może stać się grupą.',
    );
}

/** What the audit log keeps of a unit: members by name, so the entry reads the same after renames. */
function unitAuditView(tx: Tx, unit: { name: string; kind: UnitKind; email: string }, memberIds: number[]) {
  const names = new Map(listMemberUnits(tx).map((u) => [u.id, u.name]));
  return {
    name: unit.name,
    kind: unit.kind,
    email: unit.email,
    members: memberIds.map((id) => names.get(id) ?? `nr ${id}`).sort((a, b) => a.localeCompare(b, 'pl')),
  };
}

const IMMEDIATE = { behavior: 'immediate' } as const;

/**
 * Public pages list units, so every change bumps the data version in the same transaction, with
 * its audit entry (`actorId`: the admin making the change).
 */
export function createUnit(db: Db, input: UnitFormInput, actorId: number | null): number {
  return db.transaction((tx) => {
    const slug = checkUnitName(tx, input.name);
    checkMembers(tx, input.kind, input.members);
    const id = insertUnit(tx, { name: input.name, slug, kind: input.kind, email: input.email });
    const members = input.kind === 'grupa' ? input.members : [];
    if (members.length) replaceGroupMembers(tx, id, members);
    recordAudit(tx, {
      actorId,
      action: 'unit.created',
      subjectType: 'unit',
      subjectId: id,
      subjectLabel: input.name,
      after: unitAuditView(tx, input, members),
    });
    bumpDataVersion(tx);
    return id;
  }, IMMEDIATE);
}

export function editUnit(db: Db, id: number, input: UnitFormInput, actorId: number | null): void {
  db.transaction((tx) => {
    const before = getUnit(tx, id);
    if (!before) throw new FormError('form', 'Tej jednostki już nie ma w katalogu.');
    const beforeView = unitAuditView(tx, before, memberIdsOfGroup(tx, id));
    const slug = checkUnitName(tx, input.name, id);
    if (input.kind === 'grupa' && before.kind !== 'grupa') checkBecomingGroup(tx, id);
    checkMembers(tx, input.kind, input.members, id);
    updateUnit(tx, id, { name: input.name, slug, kind: input.kind, email: input.email });
    if (slug !== before.slug) retireUnitSlug(tx, id, before.slug, slug, new Date());
    const members = input.kind === 'grupa' ? input.members : [];
    replaceGroupMembers(tx, id, members);
    const changes = changedFields(beforeView, unitAuditView(tx, input, members));
    if (changes) {
      recordAudit(tx, {
        actorId,
        action: 'unit.updated',
        subjectType: 'unit',
        subjectId: id,
        subjectLabel: before.name,
        ...changes,
      });
    }
    bumpDataVersion(tx);
  }, IMMEDIATE);
}
