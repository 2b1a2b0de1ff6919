import { describe, expect, it } from 'vitest';
import { PROPOSAL_STATUSES } from '../../src/db/schema/proposals.js';
import { STATUS_LABELS } from '../../src/proposals/status.js';
import { RuleError } from '../../src/workflow/errors.js';
import {
  assertAllowed,
  assertTransition,
  canTransition,
  collectingStatus,
  compareForUnit,
  decisionRefusal,
  inReviewStage,
  isDecided,
  isInProgress,
  isOpen,
  openRefusal,
  PUBLIC_STAGES,
  stageOf,
  isOverdue,
  justificationRequired,
  manualTargets,
  TRANSITIONS,
  WorkflowError,
} from '../../src/workflow/workflow.js';
import {
  canAddNote,
  canManage,
  canViewProposalAsStaff,
  canWritePosition,
  positionAuthorship,
} from '../../src/auth/policy.js';

describe('status workflow', () => {
  it('follows nowa → przekazana → stanowiska zebrane → rozstrzygnięta → w realizacji → zrealizowana', () => {
    const path = [
      'nowa',
      'przekazana',
      'stanowiska-zebrane',
      'rozstrzygnieta',
      'w-realizacji',
      'zrealizowana',
    ] as const;
    for (let i = 0; i < path.length - 1; i++) expect(canTransition(path[i]!, path[i + 1]!)).toBe(true);
  });

  it('refuses skipping steps and leaving a final state except by reopening', () => {
    expect(canTransition('nowa', 'rozstrzygnieta')).toBe(false);
    expect(canTransition('przekazana', 'rozstrzygnieta')).toBe(false);
    expect(canTransition('zrealizowana', 'nowa')).toBe(false);
    expect(canTransition('rozstrzygnieta', 'duplikat')).toBe(false);
    expect(() => assertTransition('nowa', 'zrealizowana', STATUS_LABELS)).toThrow(
      new WorkflowError('Nie można zmienić statusu z „nowa” na „zrealizowana”.'),
    );
    expect(() => assertTransition('nowa', 'nowa', STATUS_LABELS)).toThrow(WorkflowError);
  });

  it('names every status in the transition table', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...PROPOSAL_STATUSES].sort());
    for (const targets of Object.values(TRANSITIONS)) for (const t of targets) expect(PROPOSAL_STATUSES).toContain(t);
  });

  it('derives the collecting status from assignments and submitted positions', () => {
    expect(collectingStatus(0, 0)).toBe('nowa');
    expect(collectingStatus(2, 1)).toBe('przekazana');
    expect(collectingStatus(2, 2)).toBe('stanowiska-zebrane');
  });

  it('keeps positions editable only while the proposal is open', () => {
    expect(isOpen('przekazana')).toBe(true);
    expect(isOpen('stanowiska-zebrane')).toBe(true);
    expect(isOpen('rozstrzygnieta')).toBe(false);
    expect(isOpen('duplikat')).toBe(false);
  });

  it('offers manual moves only after a decision', () => {
    expect(manualTargets('przekazana')).toEqual([]);
    expect(manualTargets('rozstrzygnieta')).toEqual(['w-realizacji', 'reopen']);
    expect(manualTargets('zrealizowana')).toEqual(['reopen']);
  });

  it('requires a justification only for "nieuwzględniona"', () => {
    expect(justificationRequired('nieuwzgledniona')).toBe(true);
    expect(justificationRequired('uwzgledniona')).toBe(false);
  });
});

describe('the rules the forms check, the services assert and the page shows', () => {
  it('a proposal is open until it is decided or marked a duplicate, and says why not', () => {
    for (const status of PROPOSAL_STATUSES) expect(openRefusal(status) === null).toBe(isOpen(status));
    expect(PROPOSAL_STATUSES.filter((s) => openRefusal(s) === null)).toEqual([
      'nowa',
      'przekazana',
      'stanowiska-zebrane',
    ]);
    expect(openRefusal('rozstrzygnieta')).toContain('Decyzja w tej sprawie została już opublikowana');
    expect(openRefusal('duplikat')).toContain('oznaczona jako duplikat');
  });

  it('a decision can be published only once every position is in', () => {
    expect(PROPOSAL_STATUSES.filter((s) => decisionRefusal(s) === null)).toEqual(['stanowiska-zebrane']);
    expect(decisionRefusal('przekazana')).toContain('Decyzję można opublikować, gdy wszystkie');
  });

  it('a refusal asserted by a service is the form-level error it shows', () => {
    expect(() => assertAllowed(null)).not.toThrow();
    const refused = (() => {
      try {
        assertAllowed(openRefusal('zrealizowana'));
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(RuleError);
    expect(refused).toMatchObject({ field: 'form', message: openRefusal('zrealizowana') });
  });

  it('every status is in exactly one public stage; the review stages are decided and in progress', () => {
    for (const status of PROPOSAL_STATUSES) {
      expect(PUBLIC_STAGES).toContain(stageOf(status));
      expect(stageOf(status) === 'decided').toBe(isDecided(status));
      expect(stageOf(status) === 'inProgress').toBe(isInProgress(status));
      expect(inReviewStage(status, 'rozstrzygniete')).toBe(isDecided(status));
      expect(inReviewStage(status, 'w-toku')).toBe(isInProgress(status));
    }
  });
});

describe('overdue positions', () => {
  it('is overdue after the due date while not submitted', () => {
    expect(isOverdue('2026-11-25', false, '2026-11-26')).toBe(true);
    expect(isOverdue('2026-11-26', false, '2026-11-26')).toBe(false);
    expect(isOverdue('2026-11-25', true, '2026-11-26')).toBe(false);
  });

  it('orders unit work: awaiting first, overdue on top, then due date', () => {
    const rows = [
      { lp: 1, awaiting: false, overdue: false, dueDate: '2026-12-01' },
      { lp: 2, awaiting: true, overdue: false, dueDate: '2026-12-10' },
      { lp: 3, awaiting: true, overdue: true, dueDate: '2026-11-20' },
      { lp: 4, awaiting: true, overdue: false, dueDate: '2026-12-05' },
    ];
    expect(rows.sort(compareForUnit).map((r) => r.lp)).toEqual([3, 4, 2, 1]);
  });
});

describe('who may do what', () => {
  const admin = { id: 1, email: 'a', name: '', role: 'admin' as const, unitIds: [] };
  const reviewer = { id: 2, email: 'r', name: '', role: 'reviewer' as const, unitIds: [] };
  const unit = { id: 3, email: 'u', name: '', role: 'unit' as const, unitIds: [10] };

  it('lets only admins manage', () => {
    expect([admin, reviewer, unit, null].map(canManage)).toEqual([true, false, false, false]);
  });
  it("shows unit staff only their units' proposals", () => {
    expect(canViewProposalAsStaff(unit, [10, 11])).toBe(true);
    expect(canViewProposalAsStaff(unit, [11])).toBe(false);
    expect(canViewProposalAsStaff(reviewer, [])).toBe(true);
    expect(canViewProposalAsStaff(null, [10])).toBe(false);
  });
  it('lets a unit write its own position only when assigned', () => {
    expect(canWritePosition(unit, 10, [10])).toBe(true);
    expect(canWritePosition(unit, 10, [11])).toBe(false);
    expect(canWritePosition(unit, 11, [11])).toBe(false);
    expect(canWritePosition(admin, 10, [10])).toBe(true);
    expect(canWritePosition(admin, 10, [11])).toBe(false);
    expect(canWritePosition(reviewer, 10, [10])).toBe(false);
    expect(canWritePosition(null, 10, [10])).toBe(false);
  });
  it("tells the office's own position from one it records on a unit's behalf", () => {
    const office = 99;
    expect(positionAuthorship(unit, 10, [10], office)).toBe('unit');
    expect(positionAuthorship(unit, 11, [11], office)).toBe(null);
    expect(positionAuthorship(admin, office, [office], office)).toBe('office');
    expect(positionAuthorship({ ...admin, unitIds: [10] }, 10, [10], office)).toBe('office');
    expect(positionAuthorship(admin, 10, [10], office)).toBe('on-behalf');
    expect(positionAuthorship(admin, 10, [10], null)).toBe('on-behalf');
    expect(positionAuthorship(admin, 10, [11], office)).toBe(null);
    expect(positionAuthorship(reviewer, 10, [10], office)).toBe(null);
    expect(positionAuthorship(null, 10, [10], office)).toBe(null);
  });
  it('never lets reviewers write notes', () => {
    expect(canAddNote(reviewer, [])).toBe(false);
    expect(canAddNote(admin, [])).toBe(true);
    expect(canAddNote(unit, [10])).toBe(true);
    expect(canAddNote(unit, [11])).toBe(false);
  });
});
