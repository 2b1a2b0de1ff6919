import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The site's own cookies (session, CSRF secret, kept form, last login, known device). Over https each
 * name carries the `__Host-` prefix: a browser accepts such a cookie only from this very host, sent over
 * https, for the whole site (Secure, Path=/, no Domain), so a sibling subdomain of the city's domain
 * cannot plant one, and a cookie of the plain name that it did plant is never read.
 */
const HOST_PREFIX = '__Host-';

/** The name a cookie goes by on a site that is (`secure`) or is not served over https. */
export function cookieName(name: string, secure: boolean): string {
  return secure ? `${HOST_PREFIX}${name}` : name;
}

/** The attributes every one of them has (the `__Host-` rules included, when secure). */
export function cookieAttributes(secure: boolean) {
  return { path: '/', httpOnly: true, sameSite: 'lax', secure } as const;
}

/** Whether the app's cookies are https ones (from BASE_URL, kept by the session plugin). */
const secureOf = (app: FastifyInstance) => app.sessionLimits.secureCookie;

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  return request.cookies[cookieName(name, secureOf(request.server))];
}

/** Clears a cookie with the attributes it was set with: a browser ignores a `__Host-` clearing without them. */
export function clearCookie(reply: FastifyReply, name: string): void {
  const secure = secureOf(reply.server);
  reply.clearCookie(cookieName(name, secure), cookieAttributes(secure));
}
