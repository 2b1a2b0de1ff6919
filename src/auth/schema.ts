import { z } from 'zod';

export const loginSchema = z.object({
  email: z.string().trim().min(1, 'Podaj adres e-mail.').max(254, 'Adres e-mail jest za długi.'),
  password: z.string().min(1, 'Podaj hasło.').max(1000, 'Hasło jest za długie.'),
  next: z.string().optional(),
});

/** Where a signed-in person lands when `next` is missing or not a safe same-site path. */
export const DEFAULT_NEXT = '/staff';
const BASE = 'http://x';

/**
 * The one check of a `next` address (GET and POST /login): only a path on this site, returned
 * percent-encoded so it is always a valid Location header. Refused: control characters (a browser
 * drops a tab and reads "/\t/evil.example" as "//evil.example"), backslashes (read as slashes),
 * "//" (another host), and anything that resolves to another origin.
 */
export function safeNext(next: string | undefined): string {
  if (!next || next.length > 500 || !next.startsWith('/') || next.startsWith('//')) return DEFAULT_NEXT;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f\\]/.test(next)) return DEFAULT_NEXT;
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return DEFAULT_NEXT;
  }
  if (url.origin !== BASE) return DEFAULT_NEXT;
  // the URL parser percent-encodes non-ASCII and spaces; "/.//x" normalises to "//x": check again
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (!path.startsWith('/') || path.startsWith('//') || /[^\u0021-\u007e]/.test(path)) return DEFAULT_NEXT;
  return path;
}
