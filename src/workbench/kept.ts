import type { KeptFormRoute } from '../auth/kept-forms.js';
import { canViewProposalAsStaff } from '../auth/policy.js';
import { fieldLimits } from '../lib/forms.js';
import { assignedUnitIds } from '../triage/queries.js';
import type { z } from 'zod';
import type { AnyProposalForm } from './form.js';

/**
 * What a form's route declares about its text after the session ends (route config `keptForm`): which form of
 * which proposal a post is, and who may send it, from the form's own declaration (its params, id and guard). A
 * copy is kept for, and given back to, only someone who may send that form and see the page it is on.
 */
export function keptFormRoute(form: AnyProposalForm, paramsSchema: z.ZodType<{ id: number }>): KeptFormRoute {
  return {
    target(params, values) {
      const parsed = paramsSchema.safeParse(params);
      if (!parsed.success) return null;
      const formId = form.id(parsed.data, values);
      if (!formId) return null;
      const autosaveTarget = form.fragment?.autosave ? form.fragment.target(parsed.data, values) : undefined;
      return { proposalId: parsed.data.id, formId, ...(autosaveTarget ? { autosaveTarget } : {}) };
    },
    fields: fieldLimits(form.schema),
    mayPost(db, actor, entry) {
      const assigned = assignedUnitIds(db, entry.proposalId);
      return canViewProposalAsStaff(actor, assigned) && form.guard.may(actor, assigned, entry.values);
    },
  };
}
