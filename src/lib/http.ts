import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';

/** An error whose message is safe and meant for the user (in Polish). */
export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

/** Parses with zod; a failure becomes a 400 (or the given status) with the first issue's message. */
export function parseOr<T extends z.ZodType>(schema: T, value: unknown, status = 400): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(status, result.error.issues[0]?.message ?? 'Nieprawidłowe dane.');
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
