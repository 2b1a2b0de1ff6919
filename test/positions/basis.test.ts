import { describe, expect, it } from 'vitest';
import { describeEvent, publicHistory } from '../../src/events/present.js';
import { mailItems } from '../../src/notifications/render.js';
import { recordedNote, recordedSentence } from '../../src/positions/basis.js';

/** The mark of a position the office recorded on a unit's behalf, worded once and used by every presenter. */
const ZGM = 'Zakład Gospodarki Mieszkaniowej';
const proxied = { onBehalf: true, basisKind: 'pismo', basisDate: '2026-11-20' };
const at = '2026-12-01T10:00:00.000Z';

describe('the on-behalf mark', () => {
  it('names the basis in the genitive with the date, and nothing for a unit’s own position', () => {
    expect(recordedNote(proxied)).toBe('wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026');
    expect(recordedNote({ ...proxied, basisKind: 'e-mail' })).toBe(
      'wpisane przez Biuro Dialogu na podstawie wiadomości e-mail z dnia 20 listopada 2026',
    );
    expect(recordedNote({ ...proxied, basisKind: 'notatka', basisDate: '2026-01-02' })).toBe(
      'wpisane przez Biuro Dialogu na podstawie notatki ze spotkania z dnia 2 stycznia 2026',
    );
    expect(recordedSentence(proxied)).toBe(
      'Stanowisko wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026',
    );
    for (const own of [null, undefined, {}, { onBehalf: false, basisKind: 'pismo', basisDate: '2026-11-20' }]) {
      expect(recordedNote(own)).toBe('');
      expect(recordedSentence(own)).toBe('');
    }
  });

  it('is in the event sentences, and those of a unit’s own position are unchanged', () => {
    const after = { unitName: ZGM, outcome: 'uwzgledniona', number: 2 };
    const e = (type: string, extra = {}) => ({ type, before: null, after: { ...after, ...extra }, note: '' });
    expect(describeEvent(e('position.submitted', proxied))).toBe(
      `Stanowisko jednostki ${ZGM} wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026: uwzględniona`,
    );
    expect(describeEvent(e('position.revised', proxied))).toBe(
      `Poprawione stanowisko (wersja 2) jednostki ${ZGM} wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026: uwzględniona`,
    );
    expect(describeEvent(e('position.published', proxied))).toBe(
      `Opublikowano stanowisko jednostki ${ZGM} (wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026): uwzględniona`,
    );
    expect(describeEvent(e('position.submitted'))).toBe(`Stanowisko złożyła jednostka ${ZGM}: uwzględniona`);
    expect(describeEvent(e('position.revised'))).toBe(
      `Poprawione stanowisko (wersja 2) złożyła jednostka ${ZGM}: uwzględniona`,
    );
    expect(describeEvent(e('position.published'))).toBe(`Opublikowano stanowisko jednostki ${ZGM}: uwzględniona`);
  });

  it('is in the public history entry of the decision and in the mail about it', () => {
    const events = [
      {
        id: 1,
        proposalId: 5,
        type: 'decision.published',
        before: null,
        after: { outcome: 'uwzgledniona', text: 'Tak.' },
        note: '',
        createdAt: at,
      },
      {
        id: 2,
        proposalId: 5,
        type: 'position.published',
        before: null,
        after: { unitName: ZGM, outcome: 'uwzgledniona', justification: 'Lokale.', ...proxied },
        note: '',
        createdAt: at,
      },
      {
        id: 3,
        proposalId: 5,
        type: 'position.published',
        before: null,
        after: { unitName: 'Wydział Kultury', outcome: 'uwzgledniona', justification: '' },
        note: '',
        createdAt: at,
      },
    ];
    const [entry] = publicHistory(events, [], at);
    expect(entry!.details[0]).toBe(
      `Na podstawie stanowisk: ${ZGM} (uwzględniona; stanowisko wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026), Wydział Kultury (uwzględniona).`,
    );
    const [item] = mailItems(events, 'http://127.0.0.1:3000');
    expect(item!.decision!.cited.map((c) => c.recorded)).toEqual([
      'wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026',
      '',
    ]);
  });
});
