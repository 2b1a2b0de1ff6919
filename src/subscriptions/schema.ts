import { z } from 'zod';
import { FREQUENCIES, SCOPE_KINDS } from '../db/schema/notifications.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
export const EMAIL_MAX = 254;

/**
 * An address to send mail to: no control characters (a header injection needs a line break), at most 254
 * characters, the usual syntax; stored lower-cased.
 */
export const emailSchema = z
  .string({ error: 'Podaj adres e-mail.' })
  .refine((v) => !CONTROL.test(v), 'Adres e-mail zawiera niedozwolone znaki.')
  .transform((v) => v.trim())
  .pipe(
    z
      .string()
      .min(1, 'Podaj adres e-mail.')
      .max(EMAIL_MAX, `Adres e-mail może mieć najwyżej ${EMAIL_MAX} znaki.`)
      .pipe(z.email('Podaj adres e-mail w poprawnej postaci, np. nazwa@example.pl.')),
  )
  .transform((v) => v.toLowerCase());

export const scopeSchema = z.object({
  scope: z.enum(SCOPE_KINDS, { error: 'Nieznany rodzaj obserwowania.' }),
  id: z.coerce
    .number({ error: 'Nieprawidłowy identyfikator.' })
    .int()
    .min(1)
    .max(2 ** 31),
});

export const FREQUENCY_LABELS: Record<(typeof FREQUENCIES)[number], string> = {
  immediate: 'Od razu po każdej zmianie',
  daily: 'Raz dziennie, w zestawieniu o 7:00',
};
const frequencySchema = z.enum(FREQUENCIES, { error: 'Wybierz, jak często wysyłać powiadomienia.' });

/** The query string of the full follow page (the small form on public pages sends it by GET). */
export const newQuerySchema = scopeSchema.extend({
  email: z.string().max(1000).optional(),
});

/** The follow form. */
export const followFormSchema = z.object({
  email: emailSchema,
  frequency: frequencySchema.default('immediate'),
  clauseVersion: z.string().regex(/^[0-9a-f]{12}$/, 'Odśwież stronę: brakuje wersji klauzuli informacyjnej.'),
});
export type FollowForm = z.infer<typeof followFormSchema>;

/** Tokens are base64url; anything else is simply not a token. */
export const tokenSchema = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{20,64}$/, 'Nieprawidłowy link.') });

export const subscriptionIdSchema = z.object({
  id: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 31),
});

export const frequencyFormSchema = tokenSchema.extend({ frequency: frequencySchema });

/** What a page about the manage token may say after a change (codes, not free text). */
export const manageQuerySchema = tokenSchema.extend({
  ok: z.enum(['frequency', 'removed']).optional().catch(undefined),
});
