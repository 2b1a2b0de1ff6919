import { z } from 'zod';
import { strictId } from '../lib/forms.js';
import { LOG_ACTIONS } from './actions.js';

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blank, schema.optional());

/** A real calendar date YYYY-MM-DD (not 2026-02-30), as a date field sends it. */
const day = (which: string) =>
  z
    .string({ error: `Podaj datę „${which}” w formacie RRRR-MM-DD, np. 2026-11-26.` })
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, `Podaj datę „${which}” w formacie RRRR-MM-DD, np. 2026-11-26.`)
    .refine((v) => {
      const d = new Date(`${v}T12:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
    }, `Data „${which}”: taki dzień nie istnieje w kalendarzu.`);

/** The audit log's filters (who, what, from which day to which, both included) and its page. */
export const logQuerySchema = z
  .object({
    person: optional(z.union([z.literal('system'), strictId()], { error: 'Wybierz osobę z listy.' })),
    action: optional(z.enum(LOG_ACTIONS, { error: 'Wybierz czynność z listy.' })),
    from: optional(day('od')),
    to: optional(day('do')),
    page: z.preprocess(blank, z.coerce.number().int().min(1).max(1_000_000).catch(1).default(1)),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, {
    path: ['to'],
    error: 'Data „do” nie może być wcześniejsza niż data „od”.',
  });
export type LogQuery = z.infer<typeof logQuerySchema>;
