import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { assignments, positions, positionVersions } from '../db/schema/index.js';
import type { Actor } from '../auth/policy.js';
import { canWritePosition } from '../auth/policy.js';
import { ConflictError, ForbiddenError, RuleError } from '../workflow/errors.js';
import { syncCollectingStatus } from '../workflow/service.js';
import { changeProposal } from '../workflow/change.js';
import { unitName } from '../proposals/queries.js';
import { isOpen } from '../workflow/workflow.js';
import type { PositionInput } from './schema.js';

export const POSITIONS_CLOSED =
  'Decyzja w tej sprawie została już opublikowana (lub propozycja jest duplikatem): ' +
  'stanowiska nie można już zmieniać.';

/**
 * Saves a unit's position as a draft, or submits it (a new kept version). A submitted position
 * can be revised until the decision is published. Guarded by the position's own version.
 */
export function savePosition(
  db: Db,
  proposalId: number,
  input: PositionInput,
  actor: NonNullable<Actor>,
  now = new Date(),
) {
  return changeProposal(db, { proposalId, actorId: actor.id, now }, ({ tx, proposal, emit, at }) => {
    const assigned = tx
      .select({ unitId: assignments.unitId })
      .from(assignments)
      .where(eq(assignments.proposalId, proposalId))
      .all()
      .map((a) => a.unitId);
    if (!canWritePosition(actor, input.unitId, assigned)) {
      throw new ForbiddenError(
        'Możesz pisać stanowisko tylko w imieniu swojej jednostki, do której przekazano tę propozycję.',
      );
    }
    if (!isOpen(proposal.status)) throw new RuleError('form', POSITIONS_CLOSED);

    let position = tx
      .select()
      .from(positions)
      .where(and(eq(positions.proposalId, proposalId), eq(positions.unitId, input.unitId)))
      .get();
    const fields = {
      outcome: input.outcome ?? null,
      justification: input.justification,
      updatedAt: at,
      updatedBy: actor.id,
    };
    if (!position) {
      if (input.positionVersion !== 0) throw new ConflictError();
      position = tx
        .insert(positions)
        .values({ proposalId, unitId: input.unitId, ...fields })
        .returning()
        .get();
    } else {
      const updated = tx
        .update(positions)
        .set({ ...fields, version: sql`${positions.version} + 1` })
        .where(and(eq(positions.id, position.id), eq(positions.version, input.positionVersion)))
        .returning()
        .get();
      if (!updated) throw new ConflictError();
      position = updated;
    }

    if (input.action === 'submit') {
      const last = tx
        .select({ number: positionVersions.number })
        .from(positionVersions)
        .where(eq(positionVersions.positionId, position.id))
        .orderBy(desc(positionVersions.number))
        .limit(1)
        .get();
      const number = (last?.number ?? 0) + 1;
      tx.insert(positionVersions)
        .values({
          positionId: position.id,
          number,
          outcome: input.outcome!,
          justification: input.justification,
          submittedAt: at,
          submittedBy: actor.id,
        })
        .run();
      tx.update(positions).set({ submittedAt: at }).where(eq(positions.id, position.id)).run();
      emit({
        type: number === 1 ? 'position.submitted' : 'position.revised',
        before: last ? { number: last.number } : null,
        after: {
          unitId: input.unitId,
          unitName: unitName(tx, input.unitId),
          outcome: input.outcome,
          justification: input.justification,
          number,
        },
      });
      syncCollectingStatus(tx, emit, proposalId, at);
    }
    return { submitted: input.action === 'submit' };
  });
}
