import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';
import { at, KULTURA, storyTools } from '../public/fixtures.js';
import { readDocx, readXlsx } from './fixtures.js';

/**
 * "Rozpatrzona" means one thing in the report and on both progress pages: decided, or a duplicate of a decided
 * proposal. A duplicate whose original is still open is not answered yet – the report once counted it (4 where
 * the progress pages said 3).
 */
describe('one count of "rozpatrzone": the report and the progress pages agree', () => {
  let app: App;
  let rdpp: Agent;
  let story: Awaited<ReturnType<typeof storyTools>>;

  beforeAll(async () => {
    app = await build();
    story = await storyTools(app);
    let minute = 0;
    for (const lp of [1, 2, 3]) {
      const id = idOfLp(app, lp);
      story.assign(id, [KULTURA], KULTURA, '2026-12-20', at(minute++));
      await story.position(id, KULTURA, 'uwzgledniona', 'Tak.', at(minute++));
      story.decide(id, 'uwzgledniona', `Decyzja LP ${lp}.`, at(minute++));
    }
    // LP 7 is still waiting for its position; LP 66 repeats it
    story.assign(idOfLp(app, 7), [KULTURA], KULTURA, '2026-12-20', at(minute++));
    story.duplicate(idOfLp(app, 66), 7, 'Ta sama prośba.', at(minute++));
    await createUser(app, 'rdpp@t.test', 'reviewer');
    rdpp = new Agent(app);
    await rdpp.login('rdpp@t.test');
  });
  afterAll(async () => {
    await app.close();
  });

  async function counts() {
    const report = (await app.inject('/raport')).body;
    const staff = (await rdpp.get('/staff')).body;
    const publicPage = (await app.inject('/consultation')).body;
    const { sheet, rows } = await readXlsx((await app.inject('/raport.xlsx')).rawPayload);
    const { documentXml, tables } = await readDocx((await app.inject('/raport.docx')).rawPayload);
    const docxRows = tables.find((t) => t[0]?.cells[0] === 'Lp.')!;
    return {
      report: Number(/rozpatrzono (\d+) z 71 propozycji/.exec(report)?.[1]),
      xlsx: Number(/rozpatrzono (\d+) z 71/.exec(String(sheet.getCell('A3').value))?.[1]),
      docx: Number(/rozpatrzono (\d+) z 71/.exec(documentXml)?.[1]),
      staff: Number(/Rozpatrzono <strong>(\d+) z 71<\/strong>/.exec(staff)?.[1]),
      public: Number(/Rozpatrzono <strong>(\d+) z 71<\/strong> propozycji/.exec(publicPage)?.[1]),
      decidedOnStaffPage: Number(/Rozstrzygnięto <strong>(\d+) z 71<\/strong>/.exec(staff)?.[1]),
      lp66: {
        xlsx: rows.find((r) => r[0] === '66')![5],
        docx: docxRows.find((r) => r.cells[0] === '66')!.cells[5],
      },
    };
  }

  it('a duplicate of a proposal still open is not counted, anywhere; it waits with its original', async () => {
    const c = await counts();
    expect(c).toMatchObject({ report: 3, xlsx: 3, docx: 3, staff: 3, public: 3, decidedOnStaffPage: 3 });
    expect(c.lp66).toEqual({
      xlsx: 'w trakcie rozpatrywania (łącznie z LP 7)',
      docx: 'w trakcie rozpatrywania (łącznie z LP 7)',
    });
  });

  it('once the original is decided, both count it and its duplicate, everywhere', async () => {
    const id = idOfLp(app, 7);
    await story.position(id, KULTURA, 'czesciowo-uwzgledniona', 'W części.', at(30));
    story.decide(id, 'czesciowo-uwzgledniona', 'Decyzja LP 7.', at(31));
    const c = await counts();
    expect(c).toMatchObject({ report: 5, xlsx: 5, docx: 5, staff: 5, public: 5, decidedOnStaffPage: 4 });
    expect(c.lp66.xlsx).toBe('rozpatrzona łącznie z LP 7 (powtórzenie)');
  });
});
