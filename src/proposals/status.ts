import type { ProposalStatus } from '../db/schema/proposals.js';

export const STATUS_LABELS: Record<ProposalStatus, string> = {
  nowa: 'nowa',
  przekazana: 'przekazana do jednostek',
  'stanowiska-zebrane': 'stanowiska zebrane',
  rozstrzygnieta: 'rozstrzygnięta',
  'w-realizacji': 'w realizacji',
  zrealizowana: 'zrealizowana',
  duplikat: 'duplikat',
};
