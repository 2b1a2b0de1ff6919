import { z } from 'zod';
import { OUTCOMES } from '../db/schema/workflow.js';
import { justificationRequired } from '../workflow/workflow.js';
import { plainText, strictId } from '../lib/forms.js';

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
