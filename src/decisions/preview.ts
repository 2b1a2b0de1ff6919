import { desc, eq } from 'drizzle-orm';
import type { z } from 'zod';
import type { Db } from '../db/client.js';
import { decisions } from '../db/schema/index.js';
import { ConflictError, RuleError } from '../workflow/errors.js';
import type { decisionSchema } from './schema.js';
import { citedPositions, DECISION_NOT_READY, submittedPositions } from './service.js';

/**
 * What publishing this decision would show the public, checked as publishDecision checks it (status,
 * version, cited positions) but writing nothing: the decision as it would be stored, and the submitted
 * positions it leaves out (those stay visible to staff only).
 */
export function previewDecision(
  db: Pick<Db, 'select'>,
  proposal: { id: number; status: string; version: number },
  input: z.infer<typeof decisionSchema>,
  now = new Date(),
) {
  if (proposal.status !== 'stanowiska-zebrane') throw new RuleError('form', DECISION_NOT_READY);
  if (proposal.version !== input.version) throw new ConflictError();
  const available = submittedPositions(db, proposal.id);
  return {
    decision: {
      outcome: input.outcome,
      text: input.text,
      citedPositions: citedPositions(available, input.citedPositionIds),
      publishedAt: now.toISOString(),
    },
    notCited: available.filter((a) => !input.citedPositionIds.includes(a.positionId)),
  };
}

/**
 * The latest decision, in force or withdrawn (null: none was ever published). After a reopen the
 * decision form starts from it, so the office edits the previous text rather than retyping it.
 */
export function lastDecision(db: Pick<Db, 'select'>, proposalId: number) {
  return (
    db
      .select()
      .from(decisions)
      .where(eq(decisions.proposalId, proposalId))
      .orderBy(desc(decisions.id))
      .limit(1)
      .get() ?? null
  );
}
