import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECTIONS, SUCCESS, successUrl } from '../../src/workbench/ids.js';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { Agent, build, createUser, idOfLp, type App, unitIdByName } from '../helpers.js';

let app: App;
let admin: Agent;
let lp9: number;
const versionIn = (html: string) => Number(/name="version" value="(\d+)"/.exec(html)![1]);
/** The section of the page whose heading has this id, up to the next section. */
const section = (html: string, id: string) => {
  const start = html.indexOf(`<h2 id="${id}">`);
  if (start < 0) return null;
  const end = html.indexOf('</section>', start);
  return html.slice(start, end);
};

beforeAll(async () => {
  app = await build();
  lp9 = idOfLp(app, 9);
  await createUser(app, 'biuro@torun.test', 'admin');
  // someone answers for the unit assigned below (else the message adds a warning: test/staff/assign-form.test.ts)
  await createUser(app, 'kultura@torun.test', 'unit', ['Wydział Kultury']);
  admin = new Agent(app);
  await admin.login('biuro@torun.test');
});
afterAll(async () => {
  await app.close();
});

describe('the staff proposal page: success messages where the user lands', () => {
  it('a saved assignment redirects to its section, and the message is inside that section', async () => {
    const page = await admin.get(`/staff/proposals/${lp9}`);
    const res = await admin.post(`/proposals/${lp9}/assignments`, {
      version: versionIn(page.body),
      unitIds: [String(unitIdByName(app, 'Wydział Kultury'))],
      dueDate: todayInWarsaw(new Date(Date.now() + 10 * 86_400_000)),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(successUrl(lp9, 'przekazano'));
    expect(res.headers.location).toMatch(/\?ok=przekazano#przekazania$/);
    const landed = await admin.get(res.headers.location!.replace(/#.*/, ''));
    const own = section(landed.body, SECTIONS.assignments)!;
    expect(own).toContain('role="status"');
    expect(own).toContain(SUCCESS.przekazano.message);
    // said once, and nowhere else on the page
    expect(landed.body.split(SUCCESS.przekazano.message)).toHaveLength(2);
  });

  it('each success code shows its message inside its own section (where that section is on the page)', async () => {
    for (const [code, s] of Object.entries(SUCCESS)) {
      const res = await admin.get(`/staff/proposals/${lp9}?ok=${code}`);
      expect(res.statusCode).toBe(200);
      const own = section(res.body, SECTIONS[s.section]);
      if (own === null) continue; // e.g. no manual status change on an open proposal
      expect(own, code).toContain(s.message);
    }
  });

  it('an unknown code shows no message at all', async () => {
    const res = await admin.get(`/staff/proposals/${lp9}?ok=zhakowano`);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('class="flash"');
  });
});
