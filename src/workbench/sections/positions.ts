import type { FastifyInstance, FastifyReply } from 'fastify';
import { type Actor, positionAuthorship } from '../../auth/policy.js';
import type { DbOrTx } from '../../db/client.js';
import { ID_PATTERN } from '../../lib/forms.js';
import { draftSavedAt, officeUnitId } from '../../positions/service.js';
import { assignmentsWithPositions } from '../../triage/queries.js';
import { isOverdue } from '../../workflow/workflow.js';
import { FORMS } from '../ids.js';

/**
 * The "Stanowiska" section's rows: each assigned unit with its position's versions and draft, whether it is
 * overdue, and how this account may write it.
 */
export function positionRows(
  db: DbOrTx,
  actor: NonNullable<Actor>,
  proposalId: number,
  assigned: number[],
  today: string,
) {
  const office = officeUnitId(db);
  return assignmentsWithPositions(db, proposalId).map((a) => {
    const latest = a.versions[a.versions.length - 1] ?? null;
    // 'unit', 'office' (the office's own) or 'on-behalf' (the office records it from what the unit sent)
    const authorship = positionAuthorship(actor, a.unitId, assigned, office);
    return {
      ...a,
      latest,
      overdue: isOverdue(a.dueDate, latest !== null, today),
      mine: actor.unitIds.includes(a.unitId),
      canWrite: authorship !== null,
      authorship,
      /** writing its own answer (not the office's folded on-behalf form): the proposal's text is shown open */
      writesOwn: authorship === 'unit' || authorship === 'office',
      draftSavedAt: draftSavedAt(a),
    };
  });
}

/** The unit id a position form names, 'x' when it names none (the schema then says so). */
export function unitIdOf(body: Record<string, unknown>): number | 'x' {
  const raw = typeof body.unitId === 'number' ? String(body.unitId) : body.unitId;
  return typeof raw === 'string' && ID_PATTERN.test(raw) ? Number(raw) : 'x';
}

/**
 * The answer to a draft's autosave (htmx, targeting the card's draft-state line): that line and, out of band,
 * the form's new positionVersion, so the next autosave or submit does not conflict. A refusal is answered 422
 * with the reason in the line: the layout's htmx configuration swaps 2xx and 422 only, and a stale "Szkic
 * zapisany …" must not stay on screen.
 */
export async function sendDraftState(
  app: FastifyInstance,
  reply: FastifyReply,
  unitId: number | 'x',
  statusCode: number,
  state: { error: string } | { savedAt: string; version: number },
) {
  const model = {
    fid: FORMS.position(unitId),
    oob: true,
    ...state,
    ...('savedAt' in state ? { autosaved: true } : {}),
  };
  return reply
    .code(statusCode)
    .type('text/html; charset=utf-8')
    .send(await app.view('staff/_position-draft-state.njk', model));
}
