import { describe, expect, it } from 'vitest';
import { foldForSearch, slugify, toFtsQuery } from '../../src/lib/text.js';
import { formatDatePl, formatDateTimePl, todayInWarsaw } from '../../src/lib/dates.js';

describe('foldForSearch', () => {
  it('folds case and every Polish diacritic, ł included', () => {
    expect(foldForSearch('ZAŻÓŁĆ GĘŚLĄ JAŹŃ')).toBe('zazolc gesla jazn');
    expect(foldForSearch('Łódź, szkoleń, użytkowych')).toBe('lodz, szkolen, uzytkowych');
  });
});

describe('toFtsQuery', () => {
  it('turns words into folded prefix terms that must all match', () => {
    expect(toFtsQuery('Lokali Użytkowych')).toBe('"lokali"* "uzytkowych"*');
  });
  it('drops FTS syntax characters so user input cannot break the query', () => {
    expect(toFtsQuery('"szkoleń" OR (NEAR*')).toBe('"szkolen"* "or"* "near"*');
  });
  it('returns null for input without words', () => {
    expect(toFtsQuery(' ";-* ')).toBeNull();
  });
});

describe('slugify', () => {
  it('makes ASCII slugs from Polish names', () => {
    expect(slugify('Pełnomocnik ds. Równości')).toBe('pelnomocnik-ds-rownosci');
  });
});

describe('Polish dates', () => {
  it('formats calendar dates with the genitive month', () => {
    expect(formatDatePl('2026-11-26')).toBe('26 listopada 2026');
    expect(formatDatePl('2026-09-01')).toBe('1 września 2026');
  });
  it('formats instants in Warsaw time, across the date line', () => {
    expect(formatDateTimePl('2026-11-26T23:30:00Z')).toBe('27 listopada 2026, 00:30');
    expect(formatDateTimePl('2026-07-01T10:05:00Z')).toBe('1 lipca 2026, 12:05');
    expect(todayInWarsaw(new Date('2026-12-31T23:30:00Z'))).toBe('2027-01-01');
  });
});
