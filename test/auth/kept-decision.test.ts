import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';

/**
 * The decision form posts to /decision/preview, its preview to /decision ("Opublikuj") and /decision/edit ("Wróć
 * do edycji"): a decision text sent to any of them after the session ended is kept, like every staff form's.
 */
let app: App;
let pid: number;
beforeAll(async () => {
  app = await build();
  pid = idOfLp(app, 7);
  await createUser(app, 'biuro@torun.test', 'admin');
});
afterAll(async () => app.close());

const sidOf = (a: Agent) => decodeURIComponent(a.cookies.get('sid')!).split('.')[0]!;

for (const path of ['decision', 'decision/preview', 'decision/edit']) {
  it(`keeps a decision text sent to /${path} after the session ended`, async () => {
    const admin = new Agent(app);
    await admin.login('biuro@torun.test');
    await admin.get(`/staff/proposals/${pid}`);
    app.database.sqlite.prepare('DELETE FROM sessions WHERE sid = ?').run(sidOf(admin));
    admin.cookies.delete('sid');
    const text = `Długi tekst decyzji wysłany do /${path}.`;
    const res = await admin.post(`/proposals/${pid}/${path}`, { version: '1', outcome: 'uwzgledniona', text });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Twój tekst został zachowany');
    const kept = app.database.sqlite.prepare('SELECT form_id, fields FROM kept_forms').all() as {
      form_id: string;
      fields: string;
    }[];
    expect(kept).toHaveLength(1);
    expect(kept[0]!.form_id).toBe('decision');
    expect(JSON.parse(kept[0]!.fields).text).toBe(text);
    app.database.sqlite.prepare('DELETE FROM kept_forms').run();
  });
}
