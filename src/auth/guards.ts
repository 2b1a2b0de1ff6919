import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../lib/http.js';
import { canManage, canViewProgress, canViewStaffPages } from './policy.js';

/** Anyone signed in (admin, unit staff, reviewer); the public is sent to the login page. */
export async function requireStaff(request: FastifyRequest, reply: FastifyReply) {
  if (canViewStaffPages(request.user)) return;
  if (request.method === 'GET' && !request.headers['hx-request']) {
    return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
  }
  throw new HttpError(401, 'Zaloguj się, aby wykonać tę czynność.');
}

/** The dialogue office only. */
export async function requireAdmin(request: FastifyRequest, reply: FastifyReply) {
  await requireStaff(request, reply);
  if (reply.sent) return;
  if (!canManage(request.user))
    throw new HttpError(403, 'Ta czynność jest dostępna tylko dla Biura Dialogu i Innowacji Miejskich.');
}

/** The RDPP and the office: the progress of a consultation and the queue. */
export async function requireProgressReader(request: FastifyRequest, reply: FastifyReply) {
  await requireStaff(request, reply);
  if (reply.sent) return;
  if (!canViewProgress(request.user))
    throw new HttpError(
      403,
      'Postęp konsultacji jest dostępny dla członków RDPP i Biura Dialogu i Innowacji Miejskich.',
    );
}
