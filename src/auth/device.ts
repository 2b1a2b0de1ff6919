import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie, setSiteCookie } from './cookies.js';

/**
 * OWASP's device cookie: this browser has signed in to an account before. Signed (the session secret),
 * httpOnly, for half a year; it holds a random id and a hash of the account's e-mail, never the e-mail.
 * It signs nobody in: it only gives the browser a failed-login count of its own (src/auth/throttle.ts),
 * so strangers' failures cannot lock the owner out. One account per browser: the last one signed in.
 */
export const DEVICE_COOKIE = 'known_device';
const DEVICE_COOKIE_SECONDS = 180 * 86_400;

const accountTag = (email: string) => createHash('sha256').update(email).digest('base64url');

/** The id of this browser's device cookie when it was given for `email` (lower-cased), else null. */
export function knownDevice(request: FastifyRequest, email: string): string | null {
  const raw = readCookie(request, DEVICE_COOKIE);
  if (!raw) return null;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return null;
  const [id, tag] = unsigned.value.split(':');
  return id && tag === accountTag(email) ? id : null;
}

/** After a successful login: a new device cookie for the account (a new id, so old counts do not follow it). */
export function setDeviceCookie(reply: FastifyReply, email: string): void {
  setSiteCookie(reply, DEVICE_COOKIE, `${randomBytes(16).toString('base64url')}:${accountTag(email)}`, {
    signed: true,
    maxAgeSeconds: DEVICE_COOKIE_SECONDS,
  });
}
