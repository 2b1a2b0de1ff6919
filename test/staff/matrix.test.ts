import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { Agent, build, createUser, idOfLp, type App, unitIdByName, workflowSnapshot } from '../helpers.js';

/**
 * The route × role matrix for the staff side: every staff route, for the public, a member of
 * another unit, a member of the assigned unit, an RDPP reviewer and an admin; plus forged POSTs.
 */
let app: App;
let pid: number;
let assignmentId: number;
const agents: Record<string, Agent> = {};
const ROLES = ['anonymous', 'otherUnit', 'unitMember', 'reviewer', 'admin'] as const;
type Role = (typeof ROLES)[number];
const unitId = (name: string) => unitIdByName(app, name);
const version = () =>
  (app.database.sqlite.prepare('SELECT version FROM proposals WHERE id = ?').get(pid) as { version: number }).version;
const positionVersion = () =>
  (
    app.database.sqlite
      .prepare('SELECT version FROM positions WHERE proposal_id = ? AND unit_id = ?')
      .get(pid, unitId('Wydział Edukacji')) as { version: number } | undefined
  )?.version ?? 0;
const consultationId = () => (app.database.sqlite.prepare('SELECT id FROM consultations').get() as { id: number }).id;
const writes = () =>
  workflowSnapshot(app) + JSON.stringify(app.database.sqlite.prepare('SELECT * FROM rdpp_opinions').all());

beforeAll(async () => {
  app = await build();
  pid = idOfLp(app, 10);
  await createUser(app, 'admin@t.test', 'admin');
  await createUser(app, 'rdpp@t.test', 'reviewer');
  await createUser(app, 'edu@t.test', 'unit', ['Wydział Edukacji']);
  await createUser(app, 'other@t.test', 'unit', ['Urbitor']);
  for (const role of ROLES) agents[role] = new Agent(app);
  await agents.admin!.login('admin@t.test');
  await agents.reviewer!.login('rdpp@t.test');
  await agents.unitMember!.login('edu@t.test');
  await agents.otherUnit!.login('other@t.test');
  await agents.anonymous!.get('/login'); // a session and a CSRF token, but no account
  const page = await agents.admin!.get(`/staff/proposals/${pid}`);
  const v = Number(/name="version" value="(\d+)"/.exec(page.body)![1]);
  const due = todayInWarsaw(new Date(Date.now() + 30 * 86_400_000));
  const res = await agents.admin!.post(`/proposals/${pid}/assignments`, {
    version: v,
    unitIds: String(unitId('Wydział Edukacji')),
    dueDate: due,
  });
  expect(res.statusCode).toBe(303);
  assignmentId = (
    app.database.sqlite.prepare('SELECT id FROM assignments WHERE proposal_id = ?').get(pid) as { id: number }
  ).id;
});
afterAll(async () => {
  await app.close();
});

type Expect = Record<Role, number | number[]>;
const GETS: { name: string; url: () => string; headers?: Record<string, string>; expect: Expect }[] = [
  {
    name: 'staff home',
    url: () => '/staff',
    expect: { anonymous: 303, otherUnit: 200, unitMember: 200, reviewer: 200, admin: 200 },
  },
  {
    name: 'Postęp konsultacji',
    url: () => '/staff/progress?sort=overdue',
    expect: { anonymous: 303, otherUnit: 403, unitMember: 403, reviewer: 200, admin: 200 },
  },
  {
    name: 'list behind a progress count',
    url: () => '/staff/proposals?unit=wydzial-edukacji&position=czeka',
    expect: { anonymous: 303, otherUnit: 403, unitMember: 403, reviewer: 200, admin: 200 },
  },
  {
    name: 'staff list searched and filtered',
    url: () =>
      '/staff/proposals?q=szkolenia&table=1&unit=wydzial-edukacji&status=przekazana&stage=w-toku&position=po-terminie',
    expect: { anonymous: 303, otherUnit: 403, unitMember: 403, reviewer: 200, admin: 200 },
  },
  {
    name: 'audit log, filtered',
    url: () => `/staff/audit?action=assignment.added&from=${todayInWarsaw()}`,
    expect: { anonymous: 303, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 200 },
  },
  {
    name: 'audit log as CSV',
    url: () => '/staff/audit.csv?action=status.reopened',
    expect: { anonymous: 303, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 200 },
  },
  {
    name: 'queue',
    url: () => '/staff/queue',
    expect: { anonymous: 303, otherUnit: 403, unitMember: 403, reviewer: 200, admin: 200 },
  },
  {
    name: 'progress export (XLSX)',
    url: () => '/staff/progress.xlsx',
    expect: { anonymous: 303, otherUnit: 403, unitMember: 403, reviewer: 200, admin: 200 },
  },
  {
    name: 'RDPP opinion form',
    url: () => '/staff/rdpp-opinions/new',
    expect: { anonymous: 303, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 200 },
  },
  {
    name: 'staff proposal page',
    url: () => `/staff/proposals/${pid}`,
    expect: { anonymous: 303, otherUnit: 403, unitMember: 200, reviewer: 200, admin: 200 },
  },
  {
    name: 'timeline fragment (htmx)',
    url: () => `/staff/proposals/${pid}`,
    headers: { 'hx-request': 'true', 'hx-target': 'zdarzenia' },
    expect: { anonymous: 401, otherUnit: 403, unitMember: 200, reviewer: 200, admin: 200 },
  },
  {
    name: 'unit-group picker',
    url: () => `/staff/proposals/${pid}/assignments/new?version=${version()}&unitIds=${unitId('Urbitor')}`,
    expect: { anonymous: 303, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 200 },
  },
];

describe.each(GETS)('GET $name', ({ url, headers, expect: expected }) => {
  it.each(ROLES)('as %s', async (role) => {
    const res = await agents[role]!.get(url(), headers);
    expect([expected[role]].flat()).toContain(res.statusCode);
    if (res.statusCode === 303) expect(res.headers.location).toMatch(/^\/login\?next=/);
    if (res.statusCode === 403) expect(res.body).toMatch(/Brak dostępu|nie została przekazana|tylko dla Biura/);
    if (role === 'reviewer' && res.statusCode === 200) {
      // read-only: no form that changes anything, other than logging out
      const actions = [...res.body.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]);
      expect(actions.filter((a) => a !== '/logout')).toEqual([]);
    }
  });
});

const POSTS: {
  name: string;
  url: () => string;
  form: () => Record<string, string | string[] | number>;
  headers?: Record<string, string>;
  expect: Expect;
}[] = [
  {
    name: 'assign',
    url: () => `/proposals/${pid}/assignments`,
    form: () => ({ version: version(), unitIds: String(unitId('Wydział Kultury')), dueDate: '2099-01-01' }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 303 },
  },
  {
    name: 'change assignment',
    url: () => `/proposals/${pid}/assignments/${assignmentId}`,
    form: () => ({ version: version(), dueDate: '2099-02-01', lead: 'on' }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 303 },
  },
  {
    name: 'note (htmx)',
    url: () => `/proposals/${pid}/notes`,
    form: () => ({ text: 'notatka' }),
    headers: { 'hx-request': 'true', 'hx-target': 'zdarzenia' },
    expect: { anonymous: 401, otherUnit: 403, unitMember: 200, reviewer: 403, admin: 200 },
  },
  {
    name: 'note',
    url: () => `/proposals/${pid}/notes`,
    form: () => ({ text: 'notatka bez JS' }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 303, reviewer: 403, admin: 303 },
  },
  {
    name: 'position',
    url: () => `/proposals/${pid}/positions`,
    form: () => ({
      unitId: unitId('Wydział Edukacji'),
      // the position's own version as the form would carry it (the admin may write it too, after the unit)
      positionVersion: positionVersion(),
      action: 'draft',
      outcome: 'uwzgledniona',
      justification: 'x',
    }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 303, reviewer: 403, admin: 303 },
  },
  {
    name: 'decision',
    url: () => `/proposals/${pid}/decision`,
    form: () => ({ version: version(), outcome: 'uwzgledniona', text: 'x' }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 422 },
  },
  {
    name: 'decision preview',
    url: () => `/proposals/${pid}/decision/preview`,
    form: () => ({ version: version(), outcome: 'uwzgledniona', text: 'x' }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 422 },
  },
  {
    name: 'decision form back from the preview',
    url: () => `/proposals/${pid}/decision/edit`,
    form: () => ({ version: version(), outcome: 'uwzgledniona', text: 'x' }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 200 },
  },
  {
    name: 'status',
    url: () => `/proposals/${pid}/status`,
    form: () => ({ version: version(), target: 'zrealizowana' }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 422 },
  },
  {
    name: 'correction',
    url: () => `/proposals/${pid}/corrections`,
    form: () => ({ version: version(), field: 'tableTheme', value: 'Temat', reason: 'powód' }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 303 },
  },
  {
    name: 'duplicate',
    url: () => `/proposals/${pid}/duplicate`,
    form: () => ({ version: version(), duplicateOfLp: '11' }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 303 },
  },
  {
    name: 'undo duplicate',
    url: () => `/proposals/${pid}/duplicate/removal`,
    form: () => ({ version: version() }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 303 },
  },
  {
    name: 'RDPP opinion',
    url: () => '/rdpp-opinions',
    form: () => ({ consultationId: consultationId(), date: '2026-11-20', text: 'Opinia RDPP.' }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 303 },
  },
  {
    name: 'remove assignment',
    url: () => `/proposals/${pid}/assignments/${assignmentId}/removal`,
    form: () => ({ version: version() }),
    expect: { anonymous: 401, otherUnit: 403, unitMember: 403, reviewer: 403, admin: 303 },
  },
];

describe.each(POSTS)('POST $name', ({ url, form, headers, expect: expected }) => {
  it('is refused for every role without a CSRF token, writing nothing', async () => {
    for (const role of ROLES) {
      const before = writes();
      const res = await agents[role]!.post(url(), { ...form(), _csrf: null }, headers);
      expect(res.statusCode, role).toBe(403);
      expect(writes(), role).toBe(before);
    }
  });

  it('is refused with a token forged for another session', async () => {
    const before = writes();
    const res = await agents.admin!.post(url(), { ...form(), _csrf: agents.reviewer!.csrf }, headers);
    expect(res.statusCode).toBe(403);
    expect(writes()).toBe(before);
  });

  // the admin's call runs last, so it sees the state the others could not change
  it.each(ROLES)('as %s', async (role) => {
    const before = writes();
    const res = await agents[role]!.post(url(), form(), headers);
    expect([expected[role]].flat(), `${role}: ${res.body.slice(0, 300)}`).toContain(res.statusCode);
    if ([401, 403].includes(res.statusCode)) expect(writes()).toBe(before);
  });
});
