import { describe, expect, it } from 'vitest';
import {
  consideredCount,
  daysBetween,
  filterProposals,
  formatPercent,
  median,
  outcomeRows,
  percent,
  positionState,
  type ProgressAssignment,
  type ProgressProposal,
  sortRows,
  unitStats,
} from '../../src/progress/figures.js';

const TODAY = '2026-11-26';
const proposal = (
  id: number,
  status: ProgressProposal['status'],
  outcome: ProgressProposal['outcome'] = null,
  originalStatus: ProgressProposal['originalStatus'] = null,
) => ({
  id,
  lp: id,
  title: `P${id}`,
  status,
  tableNumber: 1,
  outcome,
  originalStatus,
});
const assignment = (over: Partial<ProgressAssignment>): ProgressAssignment => ({
  proposalId: 1,
  status: 'przekazana',
  unitId: 1,
  unitName: 'A',
  unitSlug: 'a',
  lead: true,
  dueDate: '2026-12-10',
  assignedAt: '2026-11-01T10:00:00.000Z',
  submittedAt: null,
  firstSubmittedAt: null,
  ...over,
});
const day = (iso: string) => iso.slice(0, 10);

describe('progress rules', () => {
  it('median, days between calendar dates, percentages in Polish', () => {
    expect(median([])).toBeNull();
    expect(median([7, 1, 4])).toBe(4);
    expect(median([1, 2, 4, 10])).toBe(3);
    expect(daysBetween('2026-10-30', '2026-11-02')).toBe(3);
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2); // across the change to summer time
    expect(percent(1, 71)).toBe(1.4);
    expect(percent(0, 0)).toBeNull();
    expect(formatPercent(16.9)).toBe('16,9\u00a0%');
    expect(formatPercent(null)).toBe('–');
  });

  it('overdue only while the proposal waits for positions and the unit has not submitted', () => {
    const late = assignment({ dueDate: '2026-11-20' });
    expect(positionState(late, 'po-terminie', TODAY)).toBe(true);
    expect(positionState({ ...late, dueDate: TODAY }, 'po-terminie', TODAY)).toBe(false); // due today: not late
    expect(positionState({ ...late, status: 'rozstrzygnieta' }, 'po-terminie', TODAY)).toBe(false);
    expect(positionState({ ...late, status: 'duplikat' }, 'czeka', TODAY)).toBe(false);
    expect(positionState({ ...late, submittedAt: '2026-11-21T08:00:00Z' }, 'zlozone', TODAY)).toBe(true);
  });

  it('per unit: the oldest overdue and the median days to the first submission', () => {
    const [stats] = unitStats(
      [
        assignment({ proposalId: 1, dueDate: '2026-11-16' }),
        assignment({ proposalId: 2, dueDate: '2026-11-23' }),
        assignment({
          proposalId: 3,
          status: 'rozstrzygnieta',
          assignedAt: '2026-11-01T10:00:00Z',
          submittedAt: '2026-11-20T10:00:00Z', // revised later: the first version counts
          firstSubmittedAt: '2026-11-06T10:00:00Z',
        }),
      ],
      TODAY,
      day,
    );
    expect(stats).toMatchObject({ assigned: 3, submitted: 1, awaiting: 2, overdue: 2, oldestOverdueDays: 10 });
    expect(stats!.medianDays).toBe(5);
  });

  it('the outcome rows add up to the whole and decided excludes a reopened proposal', () => {
    const rows = outcomeRows([
      proposal(1, 'rozstrzygnieta', 'uwzgledniona'),
      proposal(2, 'zrealizowana', 'uwzgledniona'),
      proposal(3, 'stanowiska-zebrane', null),
      proposal(4, 'duplikat'),
    ]);
    const n = (key: string) => rows.find((r) => r.key === key)!.n;
    expect(n('uwzgledniona')).toBe(2);
    expect(n('rozstrzygniete')).toBe(2);
    expect(n('rozstrzygniete') + n('nowa') + n('przekazana') + n('stanowiska-zebrane') + n('duplikat')).toBe(
      n('razem'),
    );
    expect(rows.find((r) => r.key === 'uwzgledniona')!.percent).toBe(50);
  });

  it('counts as "rozpatrzone" the decided ones and the duplicates of decided ones, as the report does', () => {
    const proposals = [
      proposal(1, 'rozstrzygnieta', 'uwzgledniona'),
      proposal(2, 'stanowiska-zebrane'),
      proposal(3, 'duplikat', null, 'rozstrzygnieta'),
      proposal(4, 'duplikat', null, 'stanowiska-zebrane'),
    ];
    expect(consideredCount(proposals)).toBe(2);
    expect(outcomeRows(proposals).find((r) => r.key === 'rozstrzygniete')!.n).toBe(1);
  });

  it('sorts by a column with empty values last either way, ties by the tie-break', () => {
    const rows = [
      { name: 'B', v: null },
      { name: 'A', v: 3 },
      { name: 'C', v: 3 },
      { name: 'D', v: 1 },
    ];
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(sortRows(rows, 'v', 'desc', byName).map((r) => r.name)).toEqual(['A', 'C', 'D', 'B']);
    expect(sortRows(rows, 'v', 'asc', byName).map((r) => r.name)).toEqual(['D', 'A', 'C', 'B']);
    expect(sortRows(rows, 'name', 'desc', byName).map((r) => r.name)).toEqual(['D', 'C', 'B', 'A']);
  });

  it('the list filter by unit and position state looks at that unit’s assignment only', () => {
    const proposals = [proposal(1, 'przekazana'), proposal(2, 'przekazana')];
    const assignments = [
      assignment({ proposalId: 1, unitSlug: 'a', dueDate: '2026-11-01' }),
      assignment({ proposalId: 1, unitSlug: 'b', unitId: 2, submittedAt: '2026-11-02T10:00:00Z' }),
      assignment({ proposalId: 2, unitSlug: 'b', unitId: 2, dueDate: '2026-11-01' }),
    ];
    const ids = (f: Parameters<typeof filterProposals>[2]) =>
      filterProposals(proposals, assignments, f, TODAY).map((p) => p.id);
    expect(ids({ unit: 'a', position: 'po-terminie' })).toEqual([1]);
    expect(ids({ unit: 'b', position: 'po-terminie' })).toEqual([2]);
    expect(ids({ unit: 'b', position: 'zlozone' })).toEqual([1]);
    expect(ids({ position: 'po-terminie' })).toEqual([1, 2]);
    expect(ids({})).toEqual([1, 2]);
  });
});
