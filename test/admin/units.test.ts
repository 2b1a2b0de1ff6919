import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataVersion } from '../../src/db/version.js';
import { Agent, build, createUser, type App } from '../helpers.js';

const GROUP = 'działy, jednostki GMT posiadające dokumenty strategiczne';

let app: App;
let admin: Agent;
const db = () => app.database.sqlite;
const unitRow = (name: string) =>
  db().prepare('SELECT * FROM units WHERE name = ?').get(name) as
    | { id: number; name: string; slug: string; kind: string; email: string }
    | undefined;
const idOf = (name: string) => unitRow(name)!.id;
const membersOf = (groupId: number) =>
  (
    db()
      .prepare(
        'SELECT u.name FROM unit_group_members m JOIN units u ON u.id = m.unit_id WHERE m.group_id = ? ORDER BY u.name',
      )
      .all(groupId) as { name: string }[]
  ).map((r) => r.name);
const directory = () => ({
  units: db().prepare('SELECT * FROM units ORDER BY id').all(),
  members: db().prepare('SELECT * FROM unit_group_members ORDER BY group_id, unit_id').all(),
});
const version = () => readDataVersion(app.database.db);

async function submit(url: string, form: Record<string, string | string[]>) {
  await admin.get('/staff/units/new');
  return admin.post(url, form);
}

beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@torun.test', 'admin');
  await createUser(app, 'jednostka@torun.test', 'unit', ['Wydział Kultury']);
  admin = new Agent(app);
  await admin.login('admin@torun.test');
});
afterAll(async () => {
  await app.close();
});

describe('unit directory', () => {
  it('lists units with their kind and e-mail, and groups with their members', async () => {
    const groupId = idOf(GROUP);
    db()
      .prepare('INSERT INTO unit_group_members (group_id, unit_id) VALUES (?, ?), (?, ?)')
      .run(groupId, idOf('Wydział Kultury'), groupId, idOf('Wydział Edukacji'));
    const res = await admin.get('/staff/units');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('aria-current="page">Katalog jednostek</a>');
    expect(res.body).toMatch(
      /Wydział Prawny<\/a><\/td>\s*<td>wydział<\/td>\s*<td><span class="note">brak<\/span><\/td>/,
    );
    expect(res.body).toContain(`${GROUP}</a></td>\n      <td>grupa jednostek (adresat zbiorczy)</td>`);
    expect(res.body).toContain('<td>Wydział Edukacji; Wydział Kultury</td>');
  });
});

describe('adding a unit', () => {
  it('shows an empty form back in Polish with 422, writes nothing and leaves the data version alone', async () => {
    const before = directory();
    const v = version();
    const res = await submit('/staff/units', {});
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<a href="#name">Podaj nazwę jednostki.</a>');
    expect(res.body).toContain('<a href="#kind">Wybierz rodzaj jednostki z listy.</a>');
    expect(directory()).toEqual(before);
    expect(version()).toBe(v);
  });

  it('refuses a name or e-mail that is too long, a bad e-mail and an unknown kind, keeping the values', async () => {
    const before = directory();
    const res = await submit('/staff/units', { name: 'W'.repeat(201), kind: 'ministerstwo', email: 'zly-adres' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Nazwa jednostki może mieć najwyżej 200 znaków.');
    expect(res.body).toContain('Wybierz rodzaj jednostki z listy.');
    expect(res.body).toContain('Podaj prawidłowy adres e-mail albo zostaw pole puste.');
    expect(res.body).toContain('value="zly-adres"');
    const long = await submit('/staff/units', {
      name: 'Wydział Nowy',
      kind: 'wydział',
      email: `${'a'.repeat(250)}@torun.test`,
    });
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain('Adres e-mail może mieć najwyżej 254 znaków.');
    expect(long.body).toContain('<option value="wydział" selected>');
    expect(directory()).toEqual(before);
  });

  it('refuses a name already in the directory, whatever its letter case and spacing', async () => {
    const before = directory();
    const res = await submit('/staff/units', { name: ' wydział  KULTURY ', kind: 'wydział', email: '' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<a href="#name">Jednostka o tej nazwie już jest w katalogu.</a>');
    expect(directory()).toEqual(before);
  });

  it('creates the unit with a slug from its name, bumps the data version, and public pages show it', async () => {
    const v = version();
    const res = await submit('/staff/units', {
      name: 'Wydział Środowiska i Ekologii',
      kind: 'wydział',
      email: 'Srodowisko@UM.torun.pl',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff/units?saved=created');
    expect(unitRow('Wydział Środowiska i Ekologii')).toMatchObject({
      slug: 'wydzial-srodowiska-i-ekologii',
      kind: 'wydział',
      email: 'srodowisko@um.torun.pl',
    });
    expect(version()).toBe(v + 1);
    expect((await admin.get(res.headers.location!)).body).toContain('Jednostka została dodana do katalogu.');
    expect((await app.inject('/units')).body).toContain('href="/units/wydzial-srodowiska-i-ekologii"');
    expect((await app.inject('/units/wydzial-srodowiska-i-ekologii')).statusCode).toBe(200);
  });

  it('keeps slugs unique when two names fold to the same one', async () => {
    const res = await submit('/staff/units', { name: 'Wydzial Srodowiska i Ekologii', kind: 'biuro', email: '' });
    expect(res.statusCode).toBe(303);
    expect(unitRow('Wydzial Srodowiska i Ekologii')!.slug).toBe('wydzial-srodowiska-i-ekologii-2');
  });
});

describe('editing a unit', () => {
  it('shows the unit; a group gets checkboxes of single units only', async () => {
    const unit = await admin.get(`/staff/units/${idOf('Wydział Prawny')}`);
    expect(unit.statusCode).toBe(200);
    expect(unit.body).toContain('value="Wydział Prawny"');
    expect(unit.body).not.toContain('name="members"');
    const group = await admin.get(`/staff/units/${idOf(GROUP)}`);
    expect(group.body).toContain('<legend>Jednostki w grupie</legend>');
    expect(group.body).toContain(`value="${idOf('Wydział Kultury')}" checked`);
    expect(group.body).toContain(`name="members" value="${idOf('Wydział Prawny')}">`);
    expect(group.body).not.toMatch(/name="members" value="[^"]*"[^>]*>\s*<label[^>]*>działy/);
  });

  it('renames a unit: new slug, version bumped, the public page moves and the old one redirects', async () => {
    const id = idOf('Wydział Prawny');
    const v = version();
    const res = await submit(`/staff/units/${id}`, {
      name: 'Wydział Prawny i Kontroli',
      kind: 'wydział',
      email: 'prawny@um.torun.pl',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff/units?saved=updated');
    expect(db().prepare('SELECT name, slug, kind, email FROM units WHERE id = ?').get(id)).toEqual({
      name: 'Wydział Prawny i Kontroli',
      slug: 'wydzial-prawny-i-kontroli',
      kind: 'wydział',
      email: 'prawny@um.torun.pl',
    });
    expect(version()).toBe(v + 1);
    expect((await app.inject('/units/wydzial-prawny-i-kontroli')).statusCode).toBe(200);
    // the old address leads to the new one (test/public/renamed-units.test.ts)
    const old = await app.inject('/units/wydzial-prawny');
    expect(old.statusCode).toBe(301);
    expect(old.headers.location).toBe('/units/wydzial-prawny-i-kontroli');
  });

  it('keeps its own slug when the name is unchanged, and refuses another unit’s name', async () => {
    const id = idOf('Wydział Sportu i Rekreacji');
    const slug = unitRow('Wydział Sportu i Rekreacji')!.slug;
    expect(
      (await submit(`/staff/units/${id}`, { name: 'Wydział Sportu i Rekreacji', kind: 'wydział', email: '' }))
        .statusCode,
    ).toBe(303);
    expect(unitRow('Wydział Sportu i Rekreacji')!.slug).toBe(slug);
    const before = directory();
    const taken = await submit(`/staff/units/${id}`, { name: 'Wydział Kultury', kind: 'wydział', email: '' });
    expect(taken.statusCode).toBe(422);
    expect(taken.body).toContain('Jednostka o tej nazwie już jest w katalogu.');
    expect(directory()).toEqual(before);
  });

  it('sets a group’s members and bumps the version', async () => {
    const groupId = idOf(GROUP);
    const v = version();
    const res = await submit(`/staff/units/${groupId}`, {
      name: GROUP,
      kind: 'grupa',
      email: '',
      members: [String(idOf('Urbitor')), String(idOf('Wydział Kultury'))],
    });
    expect(res.statusCode).toBe(303);
    expect(membersOf(groupId)).toEqual(['Urbitor', 'Wydział Kultury']);
    expect(version()).toBe(v + 1);
    expect((await admin.get('/staff/units')).body).toContain('<td>Urbitor; Wydział Kultury</td>');
  });

  it('refuses unknown members, groups as members, itself, and members of a unit that is not a group', async () => {
    const groupId = idOf(GROUP);
    const otherGroup = idOf('działy, jednostki GMT, pełnomocnicy prowadzący działania z sektorem pozarządowym');
    const before = directory();
    const v = version();
    const cases: [number, Record<string, string | string[]>, string][] = [
      [
        groupId,
        { name: GROUP, kind: 'grupa', members: ['777777'] },
        'Wybrano jednostkę członkowską, której nie ma w katalogu.',
      ],
      [
        groupId,
        { name: GROUP, kind: 'grupa', members: ['x'] },
        'Wybrano jednostkę członkowską, której nie ma w katalogu.',
      ],
      [groupId, { name: GROUP, kind: 'grupa', members: [String(otherGroup)] }, 'Grupa nie może należeć do innej grupy'],
      [
        groupId,
        { name: GROUP, kind: 'grupa', members: [String(groupId)] },
        'Wybrano jednostkę członkowską, której nie ma w katalogu.',
      ],
      [
        groupId,
        { name: GROUP, kind: 'wydział', members: [String(idOf('Urbitor'))] },
        'Jednostki członkowskie może mieć tylko grupa jednostek',
      ],
      [
        idOf('Urbitor'),
        { name: 'Urbitor', kind: 'spółka', members: [String(idOf('Wydział Kultury'))] },
        'Jednostki członkowskie może mieć tylko grupa jednostek',
      ],
    ];
    for (const [id, form, message] of cases) {
      const res = await submit(`/staff/units/${id}`, { email: '', ...form });
      expect(res.statusCode, message).toBe(422);
      expect(res.body).toContain(`<a href="#members">${message}`);
      expect(res.body).toContain('name="members"');
    }
    expect(directory()).toEqual(before);
    expect(version()).toBe(v);
  });

  it(
    'turns a group with no members back into a unit, and refuses to turn a unit with accounts or groups into a ' +
      'group',
    async () => {
      const groupId = idOf('działy, jednostki GMT posiadające polityki miejskie w danym obszarze tematycznym');
      db().prepare('DELETE FROM unit_group_members WHERE group_id = ?').run(groupId);
      expect(
        (await submit(`/staff/units/${groupId}`, { name: 'Zespół ds. polityk miejskich', kind: 'biuro', email: '' }))
          .statusCode,
      ).toBe(303);
      expect(unitRow('Zespół ds. polityk miejskich')!.kind).toBe('biuro');

      const before = directory();
      const withAccount = await submit(`/staff/units/${idOf('Wydział Kultury')}`, {
        name: 'Wydział Kultury',
        kind: 'grupa',
        email: '',
      });
      expect(withAccount.statusCode).toBe(422);
      expect(withAccount.body).toContain('<a href="#kind">Do tej jednostki są przypisane konta pracowników');
      const inGroup = await submit(`/staff/units/${idOf('Urbitor')}`, { name: 'Urbitor', kind: 'grupa', email: '' });
      expect(inGroup.statusCode).toBe(422);
      expect(inGroup.body).toContain('Ta jednostka należy do grupy jednostek');
      expect(directory()).toEqual(before);
    },
  );
});
