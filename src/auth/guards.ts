import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../lib/http.js';
import { canManage, canViewProgress, canViewStaffPages } from './policy.js';

/** Where someone whose password an admin typed replaces it ("Moje konto"), before any other staff page opens. */
export const PASSWORD_CHANGE_PAGE = '/account';
export const PASSWORD_CHANGE_REQUIRED = 'Zanim zaczniesz pracę, ustal własne hasło w „Moje konto”.';

const isPageRequest = (request: FastifyRequest) => request.method === 'GET' && !request.headers['hx-request'];

/** Anyone signed in, also with a password still to replace ("Moje konto"); the public is sent to the login page. */
export async function requireSignedIn(request: FastifyRequest, reply: FastifyReply) {
  if (canViewStaffPages(request.user)) return;
  if (isPageRequest(request)) return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
  throw new HttpError(401, 'Zaloguj się, aby wykonać tę czynność.');
}

/**
 * Anyone signed in (admin, unit staff, reviewer) whose password is their own: a password an admin typed must be
 * replaced first, so every staff page sends its owner to "Moje konto" and every staff action is refused until then.
 */
export async function requireStaff(request: FastifyRequest, reply: FastifyReply) {
  await requireSignedIn(request, reply);
  if (reply.sent || !request.user?.mustChangePassword) return;
  if (isPageRequest(request)) return reply.redirect(PASSWORD_CHANGE_PAGE, 303);
  throw new HttpError(403, PASSWORD_CHANGE_REQUIRED);
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
