import { z } from 'zod';
import { plainText, strictId } from '../lib/forms.js';

const version = z.coerce.number({ error: 'Brak wersji formularza: odśwież stronę.' }).int().min(1);
const id = strictId('Nieprawidłowy identyfikator.');
const isoDate = z
  .string()
  .trim()
  .min(1, 'Podaj termin stanowiska.')
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Podaj termin w formacie RRRR-MM-DD, np. 2026-12-15.')
  .refine(
    (v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v),
    'Taka data nie istnieje.',
  );
const reason = (what: string) =>
  plainText(
    z
      .string()
      .trim()
      .min(1, `Podaj ${what}.`)
      .max(2000, `${what[0]!.toUpperCase()}${what.slice(1)} może mieć najwyżej 2000 znaków.`),
  );

export const assignSchema = z.object({
  version,
  unitIds: z.array(id).min(1, 'Wybierz co najmniej jedną jednostkę.').max(50, 'Za dużo jednostek naraz.'),
  leadUnitId: z.preprocess((v) => (v === '' ? undefined : v), id.optional()),
  dueDate: isoDate,
});
export type AssignInput = z.infer<typeof assignSchema>;

export const changeAssignmentSchema = z.object({
  version,
  dueDate: isoDate,
  lead: z.preprocess((v) => v === 'on' || v === 'true' || v === '1', z.boolean()),
});

export const removeAssignmentSchema = z.object({ version });

export const duplicateSchema = z.object({
  version,
  duplicateOfLp: z.coerce
    .number({ error: 'Podaj numer LP propozycji, której to jest duplikat.' })
    .int('Numer LP musi być liczbą całkowitą.')
    .min(1, 'Numer LP musi być dodatni.')
    .max(1_000_000),
  reason: plainText(z.string().trim().max(2000, 'Uzasadnienie może mieć najwyżej 2000 znaków.')).default(''),
});

export const unduplicateSchema = z.object({ version });

export const correctionSchema = z.discriminatedUnion(
  'field',
  [
    z.object({
      field: z.literal('lp'),
      version,
      reason: reason('powód poprawki'),
      value: z.coerce
        .number({ error: 'Numer LP musi być liczbą.' })
        .int('Numer LP musi być liczbą całkowitą.')
        .min(1, 'Numer LP musi być dodatni.')
        .max(1_000_000, 'Numer LP jest za duży.'),
    }),
    z.object({
      field: z.literal('tableTheme'),
      version,
      reason: reason('powód poprawki'),
      value: plainText(
        z.string().trim().min(1, 'Podaj temat stolika.').max(300, 'Temat stolika może mieć najwyżej 300 znaków.'),
      ),
    }),
  ],
  { error: 'Wybierz, co poprawiasz.' },
);

export const statusSchema = z
  .object({
    version,
    target: z.enum(['w-realizacji', 'zrealizowana', 'reopen'], { error: 'Wybierz dozwoloną zmianę statusu.' }),
    reason: plainText(z.string().trim().max(2000, 'Powód może mieć najwyżej 2000 znaków.')).default(''),
  })
  .superRefine((v, ctx) => {
    if (v.target === 'reopen' && !v.reason)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'Podaj powód ponownego otwarcia.' });
  });

export const noteSchema = z.object({
  text: plainText(
    z.string().trim().min(1, 'Wpisz treść notatki.').max(5000, 'Notatka może mieć najwyżej 5000 znaków.'),
  ),
});

export const assignmentParamsSchema = z.object({
  id: strictId('Nie ma propozycji o takim numerze.'),
  assignmentId: strictId('Nie ma takiego przekazania.'),
});

/** At most this many proposals are assigned in one bulk step (the Toruń set has 73). */
export const BULK_MAX = 100;

const distinct = (ids: number[]) => new Set(ids).size === ids.length;

/** The queue's selection, sent (GET) to the bulk review page. */
export const bulkSelectionSchema = z.object({
  proposalIds: z
    .array(id)
    .max(BULK_MAX, `Naraz można przekazać najwyżej ${BULK_MAX} propozycji.`)
    .refine(distinct, 'Propozycja wybrana dwa razy.'),
});

/** The bulk form's shared fields: which proposals, and one due date for all of them. */
export const bulkAssignSchema = z.object({
  proposalIds: z
    .array(id)
    .min(1, 'Wybierz co najmniej jedną propozycję.')
    .max(BULK_MAX, `Naraz można przekazać najwyżej ${BULK_MAX} propozycji.`)
    .refine(distinct, 'Propozycja wybrana dwa razy.'),
  dueDate: isoDate,
});

const optionalId = z.preprocess((v) => (v === '' ? undefined : v), id.optional());

/**
 * One row of the bulk form (fields `units-<id>`, `extra-<id>`, `lead-<id>`, `version-<id>`, gathered by the
 * route): the units ticked, optionally one more unit from the whole catalogue, and the lead among them.
 */
export const bulkRowSchema = z
  .object({
    version,
    unitIds: z.array(id).max(50, 'Za dużo jednostek naraz.'),
    extraUnitId: optionalId,
    leadUnitId: z.preprocess((v) => (v === '' ? undefined : v), strictId('Wybierz jednostkę wiodącą.').optional()),
  })
  .transform((row) => ({
    version: row.version,
    unitIds: [...new Set([...row.unitIds, ...(row.extraUnitId ? [row.extraUnitId] : [])])],
    leadUnitId: row.leadUnitId,
  }))
  .superRefine((row, ctx) => {
    if (!row.unitIds.length)
      ctx.addIssue({ code: 'custom', path: ['unitIds'], message: 'Zaznacz co najmniej jedną jednostkę.' });
    else if (row.leadUnitId === undefined)
      ctx.addIssue({ code: 'custom', path: ['leadUnitId'], message: 'Wybierz jednostkę wiodącą.' });
    else if (!row.unitIds.includes(row.leadUnitId))
      ctx.addIssue({
        code: 'custom',
        path: ['leadUnitId'],
        message: 'Jednostka wiodąca musi być jedną z zaznaczonych jednostek.',
      });
  });
export type BulkRowInput = z.infer<typeof bulkRowSchema>;
