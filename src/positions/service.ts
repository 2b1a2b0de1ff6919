import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { assignments, positions, positionVersions, units } from '../db/schema/index.js';
import type { Actor, PositionAuthorship } from '../auth/policy.js';
import { positionAuthorship } from '../auth/policy.js';
import type { DbOrTx } from '../db/client.js';
import { todayInWarsaw } from '../lib/dates.js';
import { OFFICE_UNIT_SLUG } from './basis.js';
import { ConflictError, ForbiddenError, RuleError } from '../workflow/errors.js';
import { syncCollectingStatus } from '../workflow/service.js';
import { changeProposal } from '../workflow/change.js';
import { unitName } from '../proposals/queries.js';
import { assertAllowed, openRefusal } from '../workflow/workflow.js';
import type { PositionInput } from './schema.js';

export const BASIS_FOR_OFFICE_ONLY =
  'Podstawę wpisu (pismo, e-mail, notatkę ze spotkania) podaje tylko Biuro Dialogu, gdy wpisuje stanowisko ' +
  'w imieniu jednostki.';

/** Why this account may not write the position of the unit it named (not assigned, or not its own). */
export function notYourPosition(actor: NonNullable<Actor>): string {
  return actor.role === 'admin'
    ? 'Stanowisko można wpisać tylko jednostce, do której przekazano tę propozycję.'
    : 'Możesz pisać stanowisko tylko w imieniu swojej jednostki, do której przekazano tę propozycję.';
}

/** The office's own unit (its position an admin writes as the office's, with no basis), if the directory has it. */
export function officeUnitId(db: DbOrTx): number | null {
  return db.select({ id: units.id }).from(units).where(eq(units.slug, OFFICE_UNIT_SLUG)).get()?.id ?? null;
}

/** How this actor would write this unit's position on this proposal (null: not at all). */
export function authorshipOf(db: DbOrTx, actor: Actor, unitId: number, assignedUnitIds: number[]) {
  return positionAuthorship(actor, unitId, assignedUnitIds, officeUnitId(db));
}

/**
 * The basis a save keeps: required to submit a position recorded on a unit's behalf, never in the future; refused
 * from anyone else (a unit member cannot claim to be the office; the office's own position needs none).
 */
function basisFor(authorship: PositionAuthorship, input: PositionInput, today: string) {
  const given = input.basisKind !== undefined || input.basisDate !== undefined;
  if (authorship === 'unit') {
    if (given) throw new ForbiddenError(BASIS_FOR_OFFICE_ONLY);
    return { basisKind: null, basisDate: null };
  }
  if (authorship === 'office') {
    if (given)
      throw new RuleError('basisKind', 'Własne stanowisko Biura Dialogu nie potrzebuje podstawy wpisu: usuń ją.');
    return { basisKind: null, basisDate: null };
  }
  if (input.basisDate && input.basisDate > today)
    throw new RuleError('basisDate', 'Data pisma, e-maila lub spotkania nie może być późniejsza niż dzisiejsza.');
  if (input.action === 'submit') {
    if (!input.basisKind)
      throw new RuleError('basisKind', 'Wybierz, na jakiej podstawie wpisujesz stanowisko w imieniu jednostki.');
    if (!input.basisDate) throw new RuleError('basisDate', 'Podaj datę pisma, e-maila lub spotkania.');
  }
  return { basisKind: input.basisKind ?? null, basisDate: input.basisDate ?? null };
}

/**
 * Saves a unit's position as a draft, or submits it (a new kept version). A submitted position
 * can be revised until the decision is published. Guarded by the position's own version.
 * An admin may write it too: as the office's own, or recorded on the unit's behalf with its basis.
 * Returns whether it was submitted and the position's new version (the next save must send it).
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
    const authorship = authorshipOf(tx, actor, input.unitId, assigned);
    if (!authorship) throw new ForbiddenError(notYourPosition(actor));
    const basis = basisFor(authorship, input, todayInWarsaw(now));
    const onBehalf = authorship === 'on-behalf';
    assertAllowed(openRefusal(proposal.status));

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
      ...basis,
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
          onBehalf,
          ...basis,
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
          ...(onBehalf ? { onBehalf, ...basis } : {}),
        },
      });
      syncCollectingStatus(tx, emit, proposalId, at);
    }
    return { submitted: input.action === 'submit', version: position.version, onBehalf };
  });
}

/**
 * When the draft on the card was saved, while it is not submitted (null: no draft, or the draft is what was
 * submitted last). A submit sets updatedAt and submittedAt to the same instant; a later draft moves updatedAt on.
 */
export function draftSavedAt(p: {
  positionId: number | null;
  submittedAt: string | null;
  positionUpdatedAt: string | null;
}) {
  if (p.positionId === null || p.positionUpdatedAt === null) return null;
  return p.submittedAt === null || p.positionUpdatedAt > p.submittedAt ? p.positionUpdatedAt : null;
}
