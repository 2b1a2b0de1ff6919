import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireAdmin, requireStaff } from '../auth/guards.js';
import { asArray } from '../lib/forms.js';
import { HttpError, parseOr, wantsFragment } from '../lib/http.js';
import { duplicateOriginal, listUnits } from '../proposals/queries.js';
import { idParamSchema } from '../proposals/schema.js';
import { assignmentsWithPositions } from '../triage/queries.js';
import { assignmentParamsSchema } from '../triage/schema.js';
import { openRefusal } from '../workflow/workflow.js';
import { loadStaffProposal } from './access.js';
import { CONFIRM_TARGET_ID, EVENTS_ID, SECTIONS } from './ids.js';
import { renderStaffProposal } from './page.js';
import { renderUnitPicker } from './sections/assign.js';
import { sendEventsFragment } from './sections/events.js';

/**
 * What the staff page of one proposal shows (GET): the page, its timeline fragment, the group picker, and the
 * confirmations of destructive actions. Without JavaScript a removal's button is a link to a page asking the
 * question; with htmx the same fragment is fetched into the page's <dialog> (HX-Target = CONFIRM_TARGET_ID).
 * "Tak" posts, with CSRF and the version, to the action's own form (src/workbench/forms.ts), which stays the
 * only place that changes anything.
 */

type Confirmation = {
  title: string;
  /** what will happen, one sentence each */
  consequences: string[];
  action: string;
  submitLabel: string;
  cancelHref: string;
};

async function renderConfirmation(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  proposal: { id: number; lp: number; title: string; version: number },
  confirm: Confirmation,
) {
  const fragment = wantsFragment(request, CONFIRM_TARGET_ID);
  const model = { ...(await app.pageContext(request, reply)), nav: 'staff', proposal, confirm, fragment };
  return reply
    .header('Vary', 'HX-Request, HX-Target')
    .type('text/html; charset=utf-8')
    .send(await app.view(fragment ? 'staff/_confirm.njk' : 'staff/confirm.njk', model));
}

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  app.get('/staff/proposals/:id', { preHandler: requireStaff }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    reply.header('Vary', 'HX-Request, HX-Target');
    if (wantsFragment(request, EVENTS_ID))
      return sendEventsFragment(app, request, reply, loadStaffProposal(db, request.user, id));
    return renderStaffProposal(app, request, reply, id);
  });

  // Resolving unit groups into the member units the admin means.
  const pickQuery = z.object({
    unitIds: z.array(z.coerce.number().int().min(1)).max(50).default([]),
    dueDate: z.string().max(10).default(''),
    leadUnitId: z.string().max(12).default(''),
    version: z.coerce.number().int().min(1),
  });
  app.get('/staff/proposals/:id/assignments/new', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    const raw = request.query as Record<string, unknown>;
    const query = parseOr(pickQuery, { ...raw, unitIds: asArray(raw.unitIds) });
    loadStaffProposal(db, request.user, id);
    const known = new Set(listUnits(db).map((u) => u.id));
    if (query.unitIds.some((u) => !known.has(u)))
      throw new HttpError(400, 'Wybrano jednostkę, której nie ma w katalogu.');
    return renderUnitPicker(app, request, reply, id, {
      unitIds: query.unitIds,
      version: String(query.version),
      dueDate: query.dueDate,
      leadUnitId: query.leadUnitId,
    });
  });

  app.get(
    '/staff/proposals/:id/assignments/:assignmentId/removal',
    { preHandler: requireAdmin },
    async (request, reply) => {
      const { id, assignmentId } = parseOr(assignmentParamsSchema, request.params, 404);
      const { proposal } = loadStaffProposal(db, request.user, id);
      const all = assignmentsWithPositions(db, id);
      const a = all.find((x) => x.id === assignmentId);
      if (!a) throw new HttpError(404, 'Tego przekazania już nie ma.');
      const closed = openRefusal(proposal.status);
      if (closed) throw new HttpError(409, closed);
      const consequences = [
        `${a.unitName} nie będzie już proszona o stanowisko w tej sprawie i straci dostęp do tej propozycji w panelu.`,
      ];
      if (a.submittedAt) consequences.push('Jej złożone stanowisko przestanie się liczyć do decyzji.');
      else if (a.positionId) consequences.push('Jej szkic stanowiska przestanie być dostępny dla jednostki.');
      const next = all.filter((x) => x.id !== a.id).sort((x, y) => x.id - y.id)[0];
      if (a.lead && next) consequences.push(`Jednostką wiodącą zostanie: ${next.unitName}.`);
      consequences.push(
        `W publicznej historii propozycji pojawi się wpis „Cofnięto przekazanie do: ${a.unitName}”, ` +
          'a osoby obserwujące propozycję dostaną o tym e-mail.',
      );
      return renderConfirmation(app, request, reply, proposal, {
        title: `Usunąć przekazanie do: ${a.unitName}?`,
        consequences,
        action: `/proposals/${id}/assignments/${a.id}/removal`,
        submitLabel: 'Tak, usuń przekazanie',
        cancelHref: `/staff/proposals/${id}#${SECTIONS.assignments}`,
      });
    },
  );

  app.get('/staff/proposals/:id/duplicate/removal', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    const { proposal } = loadStaffProposal(db, request.user, id);
    if (proposal.status !== 'duplikat') throw new HttpError(409, 'Ta propozycja nie jest oznaczona jako duplikat.');
    const original = duplicateOriginal(db, proposal.duplicateOfId);
    const of = original ? ` LP ${original.lp}` : '';
    return renderConfirmation(app, request, reply, proposal, {
      title: `Cofnąć oznaczenie LP ${proposal.lp} jako duplikatu${of}?`,
      consequences: [
        `Propozycja LP ${proposal.lp} znów będzie rozpatrywana osobno, z własnymi stanowiskami i własną decyzją.`,
        `W publicznej historii propozycji${original ? ` i w historii${of}` : ''} pojawi się wpis o cofnięciu, ` +
          'a osoby obserwujące propozycję dostaną o tym e-mail.',
      ],
      action: `/proposals/${id}/duplicate/removal`,
      submitLabel: 'Tak, cofnij oznaczenie',
      cancelHref: `/staff/proposals/${id}#${SECTIONS.housekeeping}`,
    });
  });
};

export default routes;
