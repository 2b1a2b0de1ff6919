import { z } from 'zod';
import { PROPOSAL_STATUSES } from '../db/schema/proposals.js';
import { OUTCOMES } from '../db/schema/workflow.js';
import { listQuerySchema } from '../proposals/schema.js';
import { REVIEW_STAGES } from '../workflow/workflow.js';
import { POSITION_STATES, TABLE_SORT_KEYS, UNIT_SORT_KEYS } from './figures.js';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(emptyToUndefined, schema.optional());
const slug = (message: string) => optional(z.string().regex(/^[a-z0-9-]{1,80}$/, message));
const dir = optional(z.enum(['asc', 'desc'], { error: 'Kierunek sortowania to „asc” albo „desc”.' }));

/** "Postęp konsultacji" and its exports: which consultation, how the unit and table tables are sorted. */
export const progressQuerySchema = z.object({
  consultation: slug('Nieprawidłowy identyfikator konsultacji.'),
  sort: optional(z.enum(UNIT_SORT_KEYS, { error: 'Nieznana kolumna sortowania tabeli jednostek.' })),
  dir,
  tableSort: optional(z.enum(TABLE_SORT_KEYS, { error: 'Nieznana kolumna sortowania tabeli stolików.' })),
  tableDir: dir,
});
export type ProgressQuery = z.infer<typeof progressQuerySchema>;

/** The staff list behind every count of the progress page, searched as the public list is (`q`). */
export const progressListQuerySchema = z.object({
  q: listQuerySchema.shape.q,
  consultation: slug('Nieprawidłowy identyfikator konsultacji.'),
  table: optional(
    z.coerce
      .number({ error: 'Numer stolika musi być liczbą.' })
      .int('Numer stolika musi być liczbą całkowitą.')
      .min(1, 'Numer stolika musi być dodatni.')
      .max(9999),
  ),
  unit: slug('Nieprawidłowy identyfikator jednostki.'),
  status: optional(z.enum(PROPOSAL_STATUSES, { error: 'Nieznany status propozycji.' })),
  stage: optional(z.enum(REVIEW_STAGES, { error: 'Nieznany etap rozpatrywania.' })),
  outcome: optional(z.enum(OUTCOMES, { error: 'Nieznany sposób rozpatrzenia.' })),
  position: optional(z.enum(POSITION_STATES, { error: 'Nieznany stan stanowiska.' })),
});
export type ProgressListQuery = z.infer<typeof progressListQuerySchema>;
