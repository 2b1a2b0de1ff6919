import { z } from 'zod';
import { plainText, strictId } from '../lib/forms.js';

/** A real calendar date YYYY-MM-DD (not 2026-02-30). */
function isCalendarDate(value: string): boolean {
  const d = new Date(`${value}T12:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** The form an admin records the RDPP's opinion with. */
export const opinionFormSchema = z.object({
  consultationId: strictId('Nie ma takich konsultacji.'),
  date: z
    .string({ error: 'Podaj datę opinii.' })
    .trim()
    .min(1, 'Podaj datę opinii.')
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'Podaj datę opinii w formacie RRRR-MM-DD, np. 2026-11-26.')
    .refine(isCalendarDate, { error: 'Taki dzień nie istnieje w kalendarzu.' }),
  text: plainText(
    z
      .string({ error: 'Wpisz treść opinii RDPP.' })
      .trim()
      .min(1, 'Wpisz treść opinii RDPP.')
      .max(20_000, 'Treść opinii może mieć najwyżej 20 000 znaków.'),
  ),
  attachmentName: plainText(
    z
      .string()
      .trim()
      .max(200, 'Nazwa załącznika może mieć najwyżej 200 znaków.')
      .regex(/^[^/\\]*$/, 'Podaj samą nazwę pliku, bez folderów (bez znaków „/” i „\\”).'),
  ).default(''),
});
export type OpinionForm = z.infer<typeof opinionFormSchema>;
