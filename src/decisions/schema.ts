import { z } from 'zod';
import { OUTCOMES } from '../db/schema/workflow.js';
import { plainText, strictId } from '../lib/forms.js';

export const decisionSchema = z.object({
  version: z.coerce.number({ error: 'Brak wersji formularza: odśwież stronę.' }).int().min(1),
  outcome: z.enum(OUTCOMES, { error: 'Wybierz sposób rozpatrzenia z listy.' }),
  text: plainText(
    z
      .string()
      .trim()
      .min(1, 'Opisz sposób wykorzystania propozycji.')
      .max(10000, 'Opis może mieć najwyżej 10000 znaków.'),
  ),
  citedPositionIds: z
    .array(strictId('Wybrano stanowisko, którego nie ma.'))
    .max(100, 'Wybrano zbyt wiele stanowisk.')
    .default([]),
});
