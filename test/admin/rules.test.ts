import { describe, expect, it } from 'vitest';
import { accountCreateSchema, accountUpdateSchema, unitFormSchema, userAddArgsSchema } from '../../src/admin/schema.js';
import { sameUnitName, uniqueSlug } from '../../src/admin/service.js';
import { lastAdminProblem } from '../../src/admin/accounts.js';

describe('lastAdminProblem', () => {
  const admin = { role: 'admin' as const, active: true };
  it('stops the last active admin from being demoted or deactivated', () => {
    expect(lastAdminProblem(admin, { role: 'reviewer', active: true }, 1)).toBe('role');
    expect(lastAdminProblem(admin, { role: 'unit', active: false }, 1)).toBe('role');
    expect(lastAdminProblem(admin, { role: 'admin', active: false }, 1)).toBe('active');
    expect(lastAdminProblem(admin, admin, 1)).toBeNull();
  });
  it('allows it when another active admin remains, and for anyone who is not an active admin', () => {
    expect(lastAdminProblem(admin, { role: 'reviewer', active: false }, 2)).toBeNull();
    expect(lastAdminProblem({ role: 'admin', active: false }, { role: 'reviewer', active: false }, 1)).toBeNull();
    expect(lastAdminProblem({ role: 'unit', active: true }, { role: 'unit', active: false }, 0)).toBeNull();
  });
});

describe('uniqueSlug', () => {
  it('takes the first free numbered variant, within 80 characters', () => {
    expect(uniqueSlug('wydzial-kultury', new Set())).toBe('wydzial-kultury');
    expect(uniqueSlug('wydzial-kultury', new Set(['wydzial-kultury', 'wydzial-kultury-2']))).toBe('wydzial-kultury-3');
    expect(uniqueSlug('', new Set())).toBe('jednostka');
    const long = `${'a'.repeat(77)}-bc`;
    const slug = uniqueSlug(long, new Set([long]));
    expect(slug).toBe(`${'a'.repeat(77)}-2`);
    expect(slug.length).toBeLessThanOrEqual(80);
  });
});

describe('sameUnitName', () => {
  it('ignores letter case, Polish letters included', () => {
    expect(sameUnitName('Wydział Źródeł', 'WYDZIAŁ ŹRÓDEŁ')).toBe(true);
    expect(sameUnitName('Wydział Kultury', 'Wydzial Kultury')).toBe(false);
  });
});

describe('form schemas', () => {
  it('drops units for roles other than unit staff and lower-cases e-mail', () => {
    const r = accountCreateSchema.parse({
      email: ' A@B.PL ',
      role: 'reviewer',
      units: ['3', '4'],
      password: 'x'.repeat(12),
    });
    expect(r).toEqual({ email: 'a@b.pl', name: '', role: 'reviewer', unitIds: [], password: 'x'.repeat(12) });
    expect(
      accountCreateSchema.parse({ email: 'a@b.pl', role: 'unit', units: ['3', '3'], password: 'x'.repeat(12) }).unitIds,
    ).toEqual([3]);
  });
  it('reads an unticked "active" as false and an empty password as "keep it"', () => {
    expect(accountUpdateSchema.parse({ name: 'A', role: 'admin', password: '' })).toEqual({
      name: 'A',
      role: 'admin',
      active: false,
      unitIds: [],
      password: undefined,
    });
  });
  it('treats a repeated text field as invalid input, not a crash', () => {
    expect(
      accountCreateSchema.safeParse({ email: ['a@b.pl', 'c@d.pl'], role: 'admin', password: 'x'.repeat(12) }).success,
    ).toBe(false);
    expect(unitFormSchema.safeParse({ name: ['a', 'b'], kind: 'biuro' }).success).toBe(false);
  });
  it('collapses spaces in unit names and allows an empty contact e-mail', () => {
    expect(unitFormSchema.parse({ name: '  Wydział   Kultury ', kind: 'wydział', email: '' })).toEqual({
      name: 'Wydział Kultury',
      kind: 'wydział',
      email: '',
      members: [],
    });
  });
  it('checks the command line of user:add', () => {
    expect(userAddArgsSchema.safeParse({ email: 'a@b.pl', role: 'root' }).error?.issues[0]?.message).toBe(
      'Nieznana rola: dozwolone admin, unit albo reviewer.',
    );
    expect(userAddArgsSchema.safeParse({ role: 'admin' }).error?.issues[0]?.message).toBe(
      'Podaj adres e-mail: --email ADRES.',
    );
    expect(userAddArgsSchema.parse({ email: 'A@B.pl', role: 'unit', unit: ['Wydział Kultury'] })).toEqual({
      email: 'a@b.pl',
      role: 'unit',
      unit: ['Wydział Kultury'],
    });
  });
});
