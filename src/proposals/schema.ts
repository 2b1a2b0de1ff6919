import { z } from 'zod';
import { PROPOSAL_STATUSES } from '../db/schema/proposals.js';
import { OUTCOMES } from '../db/schema/workflow.js';
import { plainText, strictId } from '../lib/forms.js';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** The list's query string; the same parameters filter the open-data export. */
export const listQuerySchema = z.object({
  q: z.preprocess(
    emptyToUndefined,
    plainText(z.string().trim().max(200, 'Wyszukiwana fraza może mieć najwyżej 200 znaków.')).optional(),
  ),
  table: z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: 'Numer stolika musi być liczbą.' })
      .int('Numer stolika musi być liczbą całkowitą.')
      .min(1, 'Numer stolika musi być dodatni.')
      .max(9999)
      .optional(),
  ),
  unit: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[a-z0-9-]{1,80}$/, 'Nieprawidłowy identyfikator jednostki.')
      .optional(),
  ),
  status: z.preprocess(
    emptyToUndefined,
    z.enum(PROPOSAL_STATUSES, { error: 'Nieznany status propozycji.' }).optional(),
  ),
  outcome: z.preprocess(
    emptyToUndefined,
    z.enum(OUTCOMES, { error: 'Nieznany sposób rozpatrzenia propozycji.' }).optional(),
  ),
  consultation: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[a-z0-9-]{1,80}$/, 'Nieprawidłowy identyfikator konsultacji.')
      .optional(),
  ),
  page: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(100000).optional()),
});
export type ListQuery = z.infer<typeof listQuerySchema>;

export const NO_SUCH_PROPOSAL = 'Nie ma propozycji o takim numerze.';
export const idParamSchema = z.object({ id: strictId(NO_SUCH_PROPOSAL) });
export const slugParamSchema = z.object({
  slug: z.string().regex(/^[a-z0-9-]{1,80}$/, 'Nie ma takiej jednostki w katalogu.'),
});
