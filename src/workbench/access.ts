import type { Actor } from '../auth/policy.js';
import { canViewProposalAsStaff } from '../auth/policy.js';
import type { DbOrTx } from '../db/client.js';
import { HttpError } from '../lib/http.js';
import { getProposal } from '../proposals/queries.js';
import { assignedUnitIds } from '../triage/queries.js';

export type StaffProposal = NonNullable<ReturnType<typeof getProposal>>;

/** A proposal as the staff page shows it, with the units it is assigned to (who may see it depends on them). */
export type Access = { proposal: StaffProposal; assigned: number[] };

/**
 * The proposal of a staff page or form, if this account may see its staff page (404 when there is no such
 * proposal, 403 for unit staff whose units it was not assigned to): everything on the page and every form it
 * posts asks this first.
 */
export function loadStaffProposal(db: DbOrTx, actor: Actor, id: number): Access {
  const proposal = getProposal(db, id);
  if (!proposal) throw new HttpError(404, 'Nie ma propozycji o takim numerze.');
  const assigned = assignedUnitIds(db, id);
  if (!canViewProposalAsStaff(actor, assigned))
    throw new HttpError(403, 'Ta propozycja nie została przekazana do Twojej jednostki.');
  return { proposal, assigned };
}
