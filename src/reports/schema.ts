import { z } from 'zod';
import { plainText } from '../lib/forms.js';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const SLUG = /^[a-z0-9-]{1,80}$/;

/** `?consultation=` of the report addresses (default: the current consultation). */
export const reportQuerySchema = z.object({
  consultation: z.preprocess(
    emptyToUndefined,
    z.string().regex(SLUG, 'Nieprawidłowy identyfikator konsultacji.').optional(),
  ),
});

export const consultationSlugParamSchema = z.object({ consultationSlug: z.string().regex(SLUG) });

/** A form field that may be missing (a forged request) counts as empty. */
const formText = (max: number, label: string) =>
  z.preprocess(
    (v) => (v === undefined || v === null ? '' : v),
    plainText(
      z
        .string({ error: `Nieprawidłowa wartość pola „${label}”.` })
        .trim()
        .max(max, `Pole „${label}” może mieć najwyżej ${max} znaków.`),
    ),
  );

const optionalDate = (label: string) =>
  z.preprocess(
    (v) => (v === undefined || v === null || (typeof v === 'string' && v.trim() === '') ? null : v),
    z
      .string({ error: `Podaj ${label} w formacie RRRR-MM-DD, np. 2026-11-03.` })
      .trim()
      .regex(/^\d{4}-\d{2}-\d{2}$/, `Podaj ${label} w formacie RRRR-MM-DD, np. 2026-11-03.`)
      .refine(
        (v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v),
        'Taka data nie istnieje.',
      )
      .nullable(),
  );

/** The report header an admin edits once per consultation. */
export const reportHeaderSchema = z
  .object({
    legalBasis: formText(2000, 'Podstawa prawna'),
    startDate: optionalDate('datę rozpoczęcia'),
    endDate: optionalDate('datę zakończenia'),
    formOfConsultation: formText(2000, 'Forma konsultacji'),
    announcedIn: formText(2000, 'Gdzie ogłoszono konsultacje'),
    remarks: formText(10000, 'Uwagi o przebiegu konsultacji'),
    preparedBy: formText(300, 'Sporządził(a)'),
    approvedBy: formText(300, 'Zatwierdził(a)'),
    approvedOn: optionalDate('datę zatwierdzenia'),
  })
  .superRefine((v, ctx) => {
    if (v.startDate && v.endDate && v.endDate < v.startDate) {
      ctx.addIssue({
        code: 'custom',
        path: ['endDate'],
        message: 'Data zakończenia nie może być wcześniejsza niż data rozpoczęcia.',
      });
    }
    // the report is approved after the consultation it sums up
    if (v.approvedOn && v.startDate && v.approvedOn < v.startDate) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvedOn'],
        message: 'Data zatwierdzenia nie może być wcześniejsza niż data rozpoczęcia konsultacji.',
      });
    }
  });
export type ReportHeaderInput = z.infer<typeof reportHeaderSchema>;

/** The form's fields, in form order ("form" itself names the whole form in error summaries). */
export const REPORT_HEADER_FIELDS = [
  'legalBasis',
  'startDate',
  'endDate',
  'formOfConsultation',
  'announcedIn',
  'remarks',
  'preparedBy',
  'approvedBy',
  'approvedOn',
] as const;
