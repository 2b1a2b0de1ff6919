import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { MESSAGES, queryIssue } from './errors.js';

/**
 * Whether the request came over https: to the app itself, or to the TLS proxy in front of it, which says so in
 * `X-Forwarded-Proto` – believed only from a proxy TRUST_PROXY trusts (Fastify's request.protocol). The site's
 * cookies (src/auth/cookies.ts) and HSTS (src/plugins/security.ts) follow it.
 */
export function overHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

/** An error whose message is safe and meant for the user (in Polish). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses a query string or route parameters with zod; a failure becomes a 400 (or the given status)
 * with the first issue's message: the schema's own Polish message, else a Polish one naming the
 * parameter (for a 404: the plain "no such page"). A repeated parameter (`?q=a&q=b`) arrives as an
 * array and is refused with 400 ("Parametr „q” może wystąpić w adresie tylko raz.") rather than
 * silently taking one of the values.
 */
export function parseOr<T extends z.ZodType>(schema: T, value: unknown, status = 400): z.infer<T> {
  const result = schema.safeParse(value, { error: status === 404 ? () => MESSAGES.notFound : queryIssue });
  if (!result.success) throw new HttpError(status, result.error.issues[0]?.message ?? MESSAGES.badRequest);
  return result.data;
}

/** True when htmx asked to swap only the element with this id. */
export function wantsFragment(request: FastifyRequest, targetId: string): boolean {
  return request.headers['hx-target'] === targetId;
}

/** Rebuilds a query string from defined values (for links that keep the current filters). */
export function queryString(params: Record<string, string | number | undefined | null>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') sp.set(k, String(v));
  const s = sp.toString();
  return s ? `?${s}` : '';
}

/**
 * The methods each registered path answers, for 405 + Allow: a request that matched no route is
 * checked against the path patterns (`:param` is one segment, `*` the rest), ignoring the method.
 */
export class RouteMethods {
  private readonly routes: { segments: string[]; methods: Set<string> }[] = [];

  add(method: string | string[], url: string): void {
    const segments = url.split('/');
    let route = this.routes.find((r) => r.segments.join('/') === segments.join('/'));
    if (!route) {
      route = { segments, methods: new Set() };
      this.routes.push(route);
    }
    for (const m of Array.isArray(method) ? method : [method]) route.methods.add(m.toUpperCase());
    if (route.methods.has('GET')) route.methods.add('HEAD');
  }

  /** Every method some route answers at this path (sorted), or none when no route has the path. */
  allowed(url: string): string[] {
    const path = url.split('?')[0]!.split('#')[0]!;
    const segments = path.split('/');
    const methods = new Set<string>();
    for (const route of this.routes) {
      if (matches(route.segments, segments)) for (const m of route.methods) methods.add(m);
    }
    return [...methods].sort();
  }
}

function matches(pattern: string[], segments: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '*') return true;
    const s = segments[i];
    if (s === undefined) return false;
    if (p.startsWith(':')) {
      if (s === '') return false;
    } else if (p !== s) return false;
  }
  return pattern.length === segments.length;
}
