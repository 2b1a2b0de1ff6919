import { z } from 'zod';
import { BASIS_KINDS, OUTCOMES } from '../db/schema/workflow.js';
import { justificationRequired } from '../workflow/workflow.js';
import { plainText, strictId } from '../lib/forms.js';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** A real calendar date YYYY-MM-DD (not 2026-02-30). */
const calendarDate = z
  .string({ error: 'Podaj datę pisma w formacie RRRR-MM-DD, np. 2026-11-20.' })
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Podaj datę pisma w formacie RRRR-MM-DD, np. 2026-11-20.')
  .refine((v) => {
    const d = new Date(`${v}T12:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }, 'Taki dzień nie istnieje w kalendarzu.');

export const positionSchema = z
  .object({
    unitId: strictId('Nieprawidłowa jednostka.'),
    /** 0 when no position exists yet */
    positionVersion: z.coerce.number({ error: 'Brak wersji formularza: odśwież stronę.' }).int().min(0),
    action: z.enum(['draft', 'submit'], { error: 'Wybierz: zapisz szkic albo złóż stanowisko.' }),
    outcome: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.enum(OUTCOMES, { error: 'Wybierz proponowany sposób rozpatrzenia z listy.' }).optional(),
    ),
    justification: plainText(z.string().trim().max(5000, 'Uzasadnienie może mieć najwyżej 5000 znaków.')).default(''),
    /** only when the office records the position on a unit's behalf (the service decides whether it applies) */
    basisKind: z.preprocess(
      blankToUndefined,
      z
        .enum(BASIS_KINDS, { error: 'Wybierz podstawę wpisu z listy: pismo, wiadomość e-mail albo notatka.' })
        .optional(),
    ),
    basisDate: z.preprocess(blankToUndefined, calendarDate.optional()),
  })
  .superRefine((v, ctx) => {
    if (v.action !== 'submit') return;
    if (!v.outcome)
      ctx.addIssue({ code: 'custom', path: ['outcome'], message: 'Wybierz proponowany sposób rozpatrzenia.' });
    else if (justificationRequired(v.outcome) && !v.justification)
      ctx.addIssue({
        code: 'custom',
        path: ['justification'],
        message: 'Uzasadnienie jest wymagane, gdy propozycja ma być nieuwzględniona.',
      });
  });
export type PositionInput = z.infer<typeof positionSchema>;
