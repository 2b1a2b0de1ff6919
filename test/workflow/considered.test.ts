import { describe, expect, it } from 'vitest';
import { PROPOSAL_STATUSES } from '../../src/db/schema/proposals.js';
import { isConsidered } from '../../src/workflow/workflow.js';

describe('"rozpatrzona": one rule for the report and the progress pages', () => {
  it('counts a proposal whose decision is in force, and no proposal still being answered', () => {
    for (const status of ['rozstrzygnieta', 'w-realizacji', 'zrealizowana'] as const) {
      expect(isConsidered(status, null), status).toBe(true);
    }
    for (const status of ['nowa', 'przekazana', 'stanowiska-zebrane'] as const) {
      expect(isConsidered(status, null), status).toBe(false);
    }
  });

  it('counts a duplicate only once the proposal it repeats is decided', () => {
    expect(isConsidered('duplikat', 'rozstrzygnieta')).toBe(true);
    expect(isConsidered('duplikat', 'zrealizowana')).toBe(true);
    expect(isConsidered('duplikat', 'stanowiska-zebrane')).toBe(false);
    expect(isConsidered('duplikat', 'nowa')).toBe(false);
    // a duplicate whose original is unknown (deleted in a re-import) has no answer
    expect(isConsidered('duplikat', null)).toBe(false);
  });

  it('ignores the original of a proposal that is not a duplicate', () => {
    for (const status of PROPOSAL_STATUSES.filter((s) => s !== 'duplikat')) {
      expect(isConsidered(status, 'rozstrzygnieta'), status).toBe(isConsidered(status, null));
    }
  });
});
