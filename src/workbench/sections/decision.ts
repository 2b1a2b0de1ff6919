import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { DbOrTx } from '../../db/client.js';
import type { decisionSchema } from '../../decisions/schema.js';
import { currentDecision, lastDecision, type previewDecision, submittedPositions } from '../../decisions/service.js';
import { asArray } from '../../lib/forms.js';
import { OUTCOME_LABELS } from '../../workflow/workflow.js';
import type { StaffProposal } from '../access.js';

/** The decision form's body: the cited positions always as an array (one checkbox arrives as a string). */
export function decisionBody(raw: Record<string, unknown>) {
  return { ...raw, citedPositionIds: asArray(raw.citedPositionIds) };
}

/** After a reopen the decision form starts from the withdrawn decision (null: none, or one in force). */
function decisionDraft(db: DbOrTx, proposalId: number) {
  const last = lastDecision(db, proposalId);
  if (!last?.retractedAt) return null;
  return {
    outcome: last.outcome,
    text: last.text,
    citedPositionIds: last.citedPositions.map((c) => String(c.positionId)),
    publishedAt: last.publishedAt,
    retractedAt: last.retractedAt,
  };
}

/** The "Decyzja" section's model: the decision in force, or what its form offers (the positions it may cite). */
export function decisionSection(db: DbOrTx, proposalId: number) {
  return {
    submitted: submittedPositions(db, proposalId),
    decision: currentDecision(db, proposalId),
    decisionDraft: decisionDraft(db, proposalId),
  };
}

/** "Sprawdź przed publikacją": the decision as the public page would show it, and the positions left out. */
export async function sendPreview(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  proposal: StaffProposal,
  preview: ReturnType<typeof previewDecision>,
  input: z.infer<typeof decisionSchema>,
) {
  const page = {
    ...(await app.pageContext(request, reply)),
    nav: 'staff',
    proposal,
    preview,
    input,
    outcomeLabels: OUTCOME_LABELS,
  };
  return reply.type('text/html; charset=utf-8').send(await app.view('staff/decision-preview.njk', page));
}
