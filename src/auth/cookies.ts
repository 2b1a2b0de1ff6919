import type { FastifyReply, FastifyRequest } from 'fastify';
import { overHttps } from '../lib/http.js';

/**
 * The site's own cookies (session, CSRF secret, kept form, last login, known device). A request that came
 * over https gets them Secure, each name with the `__Host-` prefix: a browser accepts such a cookie only from
 * this very host, sent over https, for the whole site (Secure, Path=/, no Domain), so a sibling subdomain of
 * the city's domain cannot plant one, and a cookie of the plain name that it did plant is never read. Decided
 * per request, not from BASE_URL: the one address may be reached over both (the proxy's https, a plain http
 * check on the server itself), and a cookie must suit the connection it is set on.
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

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  return request.cookies[cookieName(name, overHttps(request))];
}

/** Sets one of the site's cookies with the name and attributes that suit this request's connection. */
export function setSiteCookie(
  reply: FastifyReply,
  name: string,
  value: string,
  opts: { maxAgeSeconds: number; signed?: boolean },
): void {
  const secure = overHttps(reply.request);
  reply.setCookie(cookieName(name, secure), value, {
    ...cookieAttributes(secure),
    maxAge: opts.maxAgeSeconds,
    signed: opts.signed ?? false,
  });
}

/** Clears a cookie with the attributes it was set with: a browser ignores a `__Host-` clearing without them. */
export function clearCookie(reply: FastifyReply, name: string): void {
  const secure = overHttps(reply.request);
  reply.clearCookie(cookieName(name, secure), cookieAttributes(secure));
}
