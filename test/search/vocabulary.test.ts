import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bumpDataVersion } from '../../src/db/version.js';
import { vocabularyOf } from '../../src/search/vocabulary.js';
import { importConsultation } from '../exports/fixtures.js';
import { build, type App } from '../helpers.js';

let app: App;
beforeAll(async () => {
  app = await build();
});
afterAll(async () => {
  await app.close();
});

describe("the index's vocabulary", () => {
  it('is read again only when the index changed, not after every write', () => {
    const { db } = app.database;
    const before = vocabularyOf(db);
    expect(before.has('wolontariat')).toBe(true);
    // a write that public pages show (a status, a decision) bumps the data version but changes no word
    db.transaction((tx) => bumpDataVersion(tx));
    expect(vocabularyOf(db)).toBe(before);

    importConsultation(app, 'kompost', 'Kompostowanie', [{ title: 'Kompostownik przy świetlicy' }]);
    const after = vocabularyOf(db);
    expect(after).not.toBe(before);
    expect(after.has('kompostownik')).toBe(true);
    expect(vocabularyOf(db)).toBe(after);
  });
});
