import { z } from 'zod';
import { strictId } from '../lib/forms.js';
import { BULK_MAX } from '../triage/schema.js';

/**
 * The queue's filters of the new proposals (workshop table, a unit the workshop named), the selection kept
 * (`proposalIds`) or "all of the filter" (`zaznacz=wszystkie`), and what a bulk assignment came back with.
 */
const blank = (v: unknown) => (v === '' ? undefined : v);
export const queueQuerySchema = z.object({
  // the filter form's "all" options send an empty value
  table: z.preprocess(blank, z.coerce.number().int().min(1).max(10_000).optional()),
  unit: z.preprocess(
    blank,
    z
      .string()
      .regex(/^[a-z0-9-]{1,120}$/)
      .optional(),
  ),
  zaznacz: z.enum(['wszystkie']).optional(),
  proposalIds: z.array(strictId()).max(BULK_MAX).default([]),
  przekazano: z.coerce.number().int().min(1).max(BULK_MAX).optional(),
  blad: z.enum(['nic-nie-zaznaczono']).optional(),
});
