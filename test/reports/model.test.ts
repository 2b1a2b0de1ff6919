import { describe, expect, it } from 'vitest';
import type { ReportProposal } from '../../src/reports/queries.js';
import {
  buildReport,
  DUPLICATE_COUNT_LABEL,
  GAP_TEXT,
  generatedLine,
  listLps,
  PENDING_LABEL,
  signOffFacts,
  sourceCaveats,
  statusLine,
  tableLabel,
} from '../../src/reports/report.js';

const proposal = (lp: number, over: Partial<ReportProposal> = {}): ReportProposal => ({
  id: lp,
  lp,
  inSource: true,
  title: `Propozycja ${lp}`,
  points: [],
  remarks: [],
  status: 'nowa',
  duplicateOfId: null,
  tableNumber: 1,
  tableTheme: 'Temat',
  tableThemeLegible: true,
  addressees: ['Wydział Kultury'],
  decision: null,
  duplicateOfLp: null,
  duplicateOfStatus: null,
  ...over,
});
const decided = (lp: number) =>
  proposal(lp, {
    status: 'rozstrzygnieta',
    decision: {
      outcome: 'uwzgledniona',
      text: 'Tak.',
      publishedAt: '2026-12-01T10:00:00Z',
      citedUnits: ['Wydział Kultury'],
    },
  });
const report = (proposals: ReportProposal[]) =>
  buildReport({
    consultation: { slug: 'k', title: 'Konsultacje' },
    header: undefined,
    opinions: [],
    tables: [
      { number: 1, theme: 'Temat', themeLegible: true },
      { number: 2, theme: '', themeLegible: false },
    ],
    proposals,
    lastChangeAt: '2026-11-25T13:05:00Z',
    now: new Date('2026-11-26T12:00:00Z'),
  });

describe('the report model', () => {
  it('is a draft until every proposal is decided or merged into a decided one; gaps do not count', () => {
    const gap = proposal(2, { inSource: false, title: '' });
    expect(report([decided(1), gap, proposal(3)]).draft).toBe(true);
    const dup = proposal(3, {
      status: 'duplikat',
      duplicateOfId: 1,
      duplicateOfLp: 1,
      duplicateOfStatus: 'rozstrzygnieta',
    });
    const r = report([decided(1), gap, dup]);
    expect(r.draft).toBe(false);
    expect(r.proposalCount).toBe(2);
    expect(r.consideredCount).toBe(2);
    expect(r.rows.map((x) => x.outcomeLabel)).toEqual(['uwzględniona', '', 'rozpatrzona łącznie z LP 1 (powtórzenie)']);
    expect(r.rows[1]!.text).toBe(GAP_TEXT);
    expect(statusLine(r)).toBe('Rozpatrzono wszystkie propozycje (2).');
  });

  it('counts a duplicate of a proposal still open as pending, with the original named', () => {
    const original = proposal(1, { status: 'stanowiska-zebrane' });
    const dup = proposal(2, {
      status: 'duplikat',
      duplicateOfId: 1,
      duplicateOfLp: 1,
      duplicateOfStatus: 'stanowiska-zebrane',
    });
    const r = report([original, dup, decided(3)]);
    expect(r.consideredCount).toBe(1);
    expect(r.draft).toBe(true);
    expect(r.rows[1]).toMatchObject({
      outcome: null,
      considered: false,
      outcomeLabel: 'w trakcie rozpatrywania (łącznie z LP 1)',
    });
    expect(r.counts.find((c) => c.label === PENDING_LABEL)!.count).toBe(2);
    expect(r.counts.find((c) => c.label === DUPLICATE_COUNT_LABEL)!.count).toBe(0);
    expect(statusLine(r)).toMatch(/^PROJEKT – rozpatrzono 1 z 3 propozycji/);
  });

  it('counts each outcome, duplicates and pending ones, adding up to the proposals', () => {
    const r = report([decided(1), proposal(2), proposal(3)]);
    expect(r.counts.find((c) => c.label === 'uwzględniona')!.count).toBe(1);
    expect(r.counts.find((c) => c.label === PENDING_LABEL)!.count).toBe(2);
    expect(r.counts.reduce((a, c) => a + c.count, 0)).toBe(3);
    expect(statusLine(r)).toMatch(/^PROJEKT – rozpatrzono 1 z 3 propozycji/);
  });

  it('states what is missing: the header fields, the gaps, the illegible themes; dates in Polish', () => {
    const r = report([proposal(1), proposal(54, { inSource: false }), proposal(55, { inSource: false })]);
    expect(r.period).toBe('nie uzupełniono');
    expect(r.generatedOn).toBe('26 listopada 2026');
    // when the data last changed, in Warsaw time, instead of an internal counter
    expect(generatedLine(r)).toBe(
      'Dane według stanu na 25 listopada 2026, godz. 14:05. Zestawienie wygenerowano 26 listopada 2026.',
    );
    expect(signOffFacts(r)).toEqual([
      ['Sporządził(a)', 'nie uzupełniono'],
      ['Zatwierdził(a)', 'nie uzupełniono'],
      ['Data zatwierdzenia', 'nie uzupełniono'],
    ]);
    expect(sourceCaveats(r)[0]).toContain('nie zawiera wierszy LP 54 i 55');
    expect(sourceCaveats(r)[1]).toContain('2 (w całości)');
    expect(listLps([5])).toBe('LP 5');
    expect(listLps([1, 2, 3])).toBe('LP 1, 2 i 3');
    expect(tableLabel(1, '', false)).toBe('1 – [temat nieczytelny]');
    expect(tableLabel(2, 'Wyzwa[…]', false)).toBe('2 – Wyzwa[…] (temat częściowo nieczytelny)');
    expect(tableLabel(3, 'Komunikacja', true)).toBe('3 – Komunikacja');
  });

  it('keeps the source’s remarks beside the addressees and the sub-points as dashed lines', () => {
    const r = report([
      proposal(1, { points: ['1) a', '2) b', 'Rozwiązanie:', 'c'], remarks: ['brak możliwości prawnych'] }),
    ]);
    expect(r.rows[0]!.text).toBe('Propozycja 1\n- 1) a\n- 2) b\nRozwiązanie:\n- c');
    expect(r.rows[0]!.addressees).toBe('Wydział Kultury; uwaga w zestawieniu: brak możliwości prawnych');
  });
});
