import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { canAddNote } from '../../auth/policy.js';
import type { DbOrTx } from '../../db/client.js';
import { describeEvent, eventBody } from '../../events/present.js';
import { listEvents } from '../../events/queries.js';
import type { Access } from '../access.js';
import { EVENTS_ID } from '../ids.js';

/** The whole timeline as staff see it (internal notes and events included), each event in words. */
export function staffEvents(db: DbOrTx, proposalId: number) {
  return listEvents(db, proposalId, { publicOnly: false }).map((e) => ({
    ...e,
    text: describeEvent(e),
    body: eventBody(e),
  }));
}

/** The "Historia i notatki" section's model: the page includes it, the htmx fragment is it alone. */
export function eventsSection(db: DbOrTx, actor: FastifyRequest['user'], proposalId: number, access: Access) {
  return {
    events: staffEvents(db, proposalId),
    eventsId: EVENTS_ID,
    proposalId,
    canNote: canAddNote(actor, access.assigned),
  };
}

/**
 * The timeline-and-note-form fragment (htmx target EVENTS_ID), optionally with the note form's error and
 * the text to show again.
 */
export async function sendEventsFragment(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  access: Access,
  note: { error?: string; value?: unknown } = {},
  statusCode = 200,
) {
  const { csrfToken } = await app.pageContext(request, reply);
  const model = {
    ...eventsSection(app.database.db, request.user, access.proposal.id, access),
    csrfToken,
    ...(note.error ? { noteFormError: note.error, noteValue: note.value } : {}),
  };
  return reply
    .code(statusCode)
    .type('text/html; charset=utf-8')
    .send(await app.view('staff/_events.njk', model));
}
