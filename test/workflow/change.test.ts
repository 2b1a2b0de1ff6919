import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeProposal } from '../../src/workflow/change.js';
import { ConflictError, NotFoundError } from '../../src/workflow/errors.js';
import { readDataVersion } from '../../src/db/version.js';
import { nextDigestTime } from '../../src/lib/dates.js';
import { build, createUser, idOfLp, type App, unitIdByName } from '../helpers.js';

let app: App;
const sqlite = () => app.database.sqlite;
const count = (table: string) => (sqlite().prepare(`SELECT count(*) n FROM ${table}`).get() as { n: number }).n;
const version = (id: number) =>
  (sqlite().prepare('SELECT version FROM proposals WHERE id = ?').get(id) as { version: number }).version;

function follow(email: string, scopeKind: string, scopeId: number, state = 'confirmed', frequency = 'immediate') {
  sqlite()
    .prepare(`INSERT INTO subscriptions (email, scope_kind, scope_id, frequency, state, clause_version, requested_at)
    VALUES (?, ?, ?, ?, ?, 'v1', '2026-11-26T10:00:00.000Z')`)
    .run(email, scopeKind, scopeId, frequency, state);
}

beforeAll(async () => {
  app = await build();
});
afterAll(async () => {
  await app.close();
});

describe('changeProposal: the one write path', () => {
  it('records the emitted events, bumps the data version and writes the outbox in one transaction', async () => {
    const pid = idOfLp(app, 7);
    const p = sqlite()
      .prepare('SELECT workshop_table_id t, consultation_id c FROM proposals WHERE id = ?')
      .get(pid) as { t: number; c: number };
    follow('lp7@ngo.test', 'proposal', pid);
    follow('both@ngo.test', 'proposal', pid);
    follow('both@ngo.test', 'consultation', p.c, 'confirmed', 'daily'); // the more specific one wins
    follow('table@ngo.test', 'table', p.t, 'confirmed', 'daily');
    follow('pending@ngo.test', 'proposal', pid, 'pending');
    follow('other@ngo.test', 'proposal', idOfLp(app, 8));
    const zgm = unitIdByName(app, 'Zakład Gospodarki Mieszkaniowej');
    sqlite().prepare("UPDATE units SET email = 'zgm@torun.test' WHERE id = ?").run(zgm);
    await createUser(app, 'zgm-staff@torun.test', 'unit', ['Zakład Gospodarki Mieszkaniowej']);
    const dataVersion = readDataVersion(app.database.db);
    const v = version(pid);

    const now = new Date('2026-11-26T13:00:00Z');
    changeProposal(app.database.db, { proposalId: pid, version: v, actorId: null, now }, ({ emit }) => {
      emit({ type: 'assignment.added', after: { unitId: zgm, unitName: 'ZGM', dueDate: '2026-12-10', lead: true } });
      emit({ type: 'note.added', note: 'wewnętrzna' });
    });

    expect(version(pid)).toBe(v + 1);
    expect(readDataVersion(app.database.db)).toBe(dataVersion + 1);
    const rows = sqlite()
      .prepare(`SELECT o.kind, o.recipient, o.available_at, e.type FROM outbox o
      JOIN events e ON e.id = o.event_id ORDER BY o.recipient`)
      .all();
    expect(rows).toEqual([
      { kind: 'subscriber', recipient: 'both@ngo.test', available_at: now.toISOString(), type: 'assignment.added' },
      { kind: 'subscriber', recipient: 'lp7@ngo.test', available_at: now.toISOString(), type: 'assignment.added' },
      { kind: 'digest', recipient: 'table@ngo.test', available_at: nextDigestTime(now), type: 'assignment.added' },
      {
        kind: 'staff-assigned',
        recipient: 'zgm-staff@torun.test',
        available_at: now.toISOString(),
        type: 'assignment.added',
      },
      {
        kind: 'staff-assigned',
        recipient: 'zgm@torun.test',
        available_at: now.toISOString(),
        type: 'assignment.added',
      },
    ]);
    // the note is an event but mails nobody
    expect(count("events WHERE type = 'note.added'")).toBe(1);
  });

  it('a throw inside the change writes nothing: no event, no version bump, no outbox row', () => {
    const pid = idOfLp(app, 7);
    const before = [count('events'), count('outbox'), version(pid), readDataVersion(app.database.db)];
    expect(() =>
      changeProposal(app.database.db, { proposalId: pid, version: version(pid), actorId: null }, ({ emit }) => {
        emit({ type: 'status.changed', before: { status: 'nowa' }, after: { status: 'przekazana' } });
        throw new Error('rule broken');
      }),
    ).toThrow('rule broken');
    expect([count('events'), count('outbox'), version(pid), readDataVersion(app.database.db)]).toEqual(before);
  });

  it('refuses a stale version (ConflictError) and an unknown proposal (NotFoundError)', () => {
    const pid = idOfLp(app, 7);
    expect(() =>
      changeProposal(app.database.db, { proposalId: pid, version: version(pid) - 1, actorId: null }, () => 1),
    ).toThrow(ConflictError);
    expect(() => changeProposal(app.database.db, { proposalId: 999_999, version: 1, actorId: null }, () => 1)).toThrow(
      NotFoundError,
    );
  });

  it('mails the admins when all positions are in, and never mails twice for one event and address', () => {
    const pid = idOfLp(app, 9);
    follow('admin-too@torun.test', 'proposal', pid);
    sqlite()
      .prepare(`INSERT INTO users (email, name, role, password_hash, active, created_at, updated_at)
      VALUES ('admin-too@torun.test', '', 'admin', 'x', 1, '2026-11-26', '2026-11-26')`)
      .run();
    changeProposal(app.database.db, { proposalId: pid, actorId: null }, ({ emit }) => {
      emit({ type: 'status.changed', before: { status: 'przekazana' }, after: { status: 'stanowiska-zebrane' } });
    });
    const rows = sqlite()
      .prepare(`SELECT kind, recipient FROM outbox WHERE proposal_id = ? AND recipient = ?`)
      .all(pid, 'admin-too@torun.test');
    expect(rows).toEqual([{ kind: 'staff-positions-complete', recipient: 'admin-too@torun.test' }]);
    // the consultation's follower (daily) hears of it too
    expect(
      sqlite().prepare(`SELECT kind FROM outbox WHERE proposal_id = ? AND recipient = 'both@ngo.test'`).all(pid),
    ).toEqual([{ kind: 'digest' }]);
  });
});

describe('unit followers', () => {
  it('hear of a proposal addressed to a unit group their unit belongs to, as the unit page lists it', () => {
    const group = sqlite()
      .prepare(`SELECT pu.unit_id id, pu.proposal_id pid FROM proposal_units pu
      JOIN units u ON u.id = pu.unit_id WHERE u.kind = 'grupa' LIMIT 1`)
      .get() as { id: number; pid: number };
    const kultura = unitIdByName(app, 'Wydział Kultury');
    sqlite()
      .prepare('INSERT OR IGNORE INTO unit_group_members (group_id, unit_id) VALUES (?, ?)')
      .run(group.id, kultura);
    follow('kultura-fan@ngo.test', 'unit', kultura);
    changeProposal(app.database.db, { proposalId: group.pid, actorId: null }, ({ emit }) => {
      emit({ type: 'status.changed', before: { status: 'nowa' }, after: { status: 'przekazana' } });
    });
    expect(
      sqlite()
        .prepare("SELECT count(*) n FROM outbox WHERE recipient = 'kultura-fan@ngo.test' AND proposal_id = ?")
        .get(group.pid),
    ).toEqual({ n: 1 });
  });
});

describe('nextDigestTime', () => {
  it('is the next 07:00 in Warsaw, winter and summer', () => {
    expect(nextDigestTime(new Date('2026-11-26T13:00:00Z'))).toBe('2026-11-27T06:00:00.000Z');
    expect(nextDigestTime(new Date('2026-11-26T05:59:00Z'))).toBe('2026-11-26T06:00:00.000Z');
    expect(nextDigestTime(new Date('2026-07-01T04:00:00Z'))).toBe('2026-07-01T05:00:00.000Z');
    expect(nextDigestTime(new Date('2026-07-01T05:00:00Z'))).toBe('2026-07-02T05:00:00.000Z');
  });
});
