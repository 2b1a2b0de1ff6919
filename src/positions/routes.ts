import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireStaff } from '../auth/guards.js';
import { HttpError, parseOr, wantsFragment } from '../lib/http.js';
import { idParamSchema } from '../proposals/schema.js';
import { FORMS } from '../staff/forms.js';
import { loadStaffProposal, runProposalForm } from '../staff/page.js';
import { ConflictError, ForbiddenError, NotFoundError, RuleError } from '../workflow/errors.js';
import { isOpen } from '../workflow/workflow.js';
import { positionSchema } from './schema.js';
import { POSITIONS_CLOSED, savePosition } from './service.js';

/** The unit id a position form names (only to pick the form's id; the schema validates it). */
function unitIdOf(body: Record<string, unknown>): number | 'x' {
  const unitId = Number(body.unitId);
  return Number.isInteger(unitId) && unitId > 0 ? unitId : 'x';
}

/**
 * The autosave of a draft (htmx, targeting the card's draft-state line): saves it like "Zapisz szkic" and answers
 * with that line and, out of band, the form's new positionVersion, so the next autosave or submit does not
 * conflict. Same access checks as the form. A refusal is answered 422 with the reason in the line: the layout's
 * htmx configuration swaps 2xx and 422 only, and a stale "Szkic zapisany …" must not stay on screen.
 */
async function autosaveDraft(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  id: number,
  unitId: number | 'x',
) {
  const raw = (request.body ?? {}) as Record<string, unknown>;
  const { proposal } = loadStaffProposal(app, request, id);
  const send = async (code: number, ctx: Record<string, unknown>) =>
    reply
      .code(code)
      .type('text/html; charset=utf-8')
      .send(await app.view('staff/_position-draft-state.njk', { fid: FORMS.position(unitId), oob: true, ...ctx }));
  if (raw.action !== 'draft') throw new HttpError(400, 'Automatycznie zapisuje się tylko szkic stanowiska.');
  if (!isOpen(proposal.status)) return send(422, { error: POSITIONS_CLOSED });
  const parsed = positionSchema.safeParse(raw);
  if (!parsed.success) return send(422, { error: parsed.error.issues[0]?.message ?? 'Nieprawidłowe dane.' });
  const now = new Date();
  try {
    const saved = savePosition(app.database.db, id, parsed.data, request.user!, now);
    return send(200, { savedAt: now.toISOString(), autosaved: true, version: saved.version });
  } catch (err) {
    if (err instanceof ConflictError || err instanceof RuleError) return send(422, { error: err.message });
    if (err instanceof NotFoundError) throw new HttpError(404, err.message);
    if (err instanceof ForbiddenError) throw new HttpError(403, err.message);
    throw err;
  }
}

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  app.post('/proposals/:id/positions', { preHandler: requireStaff }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    if (request.user!.role === 'reviewer')
      throw new HttpError(403, 'Stanowiska piszą jednostki, do których przekazano propozycję, i Biuro Dialogu.');
    const unitId = unitIdOf((request.body ?? {}) as Record<string, unknown>);
    reply.header('Vary', 'HX-Request, HX-Target');
    if (wantsFragment(request, FORMS.positionDraftState(unitId))) return autosaveDraft(app, request, reply, id, unitId);
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.position(unitId),
      schema: positionSchema,
      ok: 'stanowisko',
      precondition: (p) => (isOpen(p.status) ? null : POSITIONS_CLOSED),
      run: (input) => {
        const saved = savePosition(db, id, input, request.user!);
        if (!saved.submitted) return 'szkic';
        return saved.onBehalf ? 'stanowisko-wpisane' : 'stanowisko';
      },
    });
  });
};

export default routes;
