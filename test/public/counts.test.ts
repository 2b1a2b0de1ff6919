import { afterAll, beforeAll, expect, it } from 'vitest';
import { consultationProgress } from '../../src/progress/counts.js';
import { stageOf } from '../../src/workflow/workflow.js';
import type { ProposalStatus } from '../../src/db/schema/proposals.js';
import { build, type App } from '../helpers.js';

let app: App;
beforeAll(async () => {
  app = await build();
});
afterAll(async () => {
  await app.close();
});

it('the grouped counts equal a count of each proposal one by one, overall and per workshop table', () => {
  const { sqlite } = app.database;
  const c = sqlite.prepare("SELECT id FROM consultations WHERE slug = 'torun-2026'").get() as { id: number };
  // move a few proposals through the stages so more than one stage is counted
  sqlite.prepare("UPDATE proposals SET status = 'przekazana' WHERE consultation_id = ? AND lp IN (1, 2, 30)").run(c.id);
  sqlite.prepare("UPDATE proposals SET status = 'duplikat' WHERE consultation_id = ? AND lp = 40").run(c.id);
  const rows = sqlite
    .prepare(
      `SELECT p.status, t.number FROM proposals p LEFT JOIN workshop_tables t ON t.id = p.workshop_table_id
       WHERE p.consultation_id = ? AND p.in_source = 1`,
    )
    .all(c.id) as { status: ProposalStatus; number: number | null }[];
  const progress = consultationProgress(app.database.db, c.id);
  expect(progress.overall.total).toBe(rows.length);
  expect(progress.overall.inProgress).toBe(3);
  expect(progress.overall.merged).toBe(1);
  for (const t of progress.byTable) {
    const own = rows.filter((r) => r.number === t.number);
    expect(t.total, `stolik ${t.number}`).toBe(own.length);
    expect(t.waiting).toBe(own.filter((r) => stageOf(r.status) === 'waiting').length);
    expect(t.inProgress).toBe(own.filter((r) => stageOf(r.status) === 'inProgress').length);
  }
  expect(progress.byTable.map((t) => t.number)).toEqual(
    [...progress.byTable.map((t) => t.number)].sort((a, b) => a - b),
  );
});
