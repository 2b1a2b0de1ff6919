import { beforeAll, describe, expect, test } from 'vitest';
const has = false;
describe.skipIf(!has && !process.env.CI)('sim', () => {
  beforeAll(() => { if (!has) throw new Error('Chromium not found at /nope'); });
  test('a', () => { expect(1).toBe(1); });
});
