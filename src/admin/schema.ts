import { z } from 'zod';
import { ROLES } from '../db/schema/accounts.js';
import { UNIT_KINDS } from '../db/schema/units.js';
import { asArray, plainText, strictId } from '../lib/forms.js';
import { ACCOUNT_TOKEN_PATTERN } from '../auth/account-tokens.js';

/** The first admin, made at start-up: not a real domain on purpose (the office adds real accounts). */
export const BOOTSTRAP_ADMIN_EMAIL = 'admin@localhost';
export const MAX_EMAIL = 254;
export const MAX_NAME = 200;
export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 1000;
export const MAX_UNIT_NAME = 200;
/** more checkboxes than the directory could ever hold is not a form a person sent */
const MAX_CHOSEN_UNITS = 500;

/** A form field that may be missing (a forged request) counts as empty; a repeated field is not text. */
const formText = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === undefined || v === null ? '' : v), schema);

/** E-mail as stored: trimmed and lower-cased. */
export const emailSchema = z
  .string({ error: 'Podaj adres e-mail.' })
  .trim()
  .min(1, 'Podaj adres e-mail.')
  .max(MAX_EMAIL, `Adres e-mail może mieć najwyżej ${MAX_EMAIL} znaków.`)
  .toLowerCase()
  // the first admin's address is not a real domain, and `user:add` must still reach it (a new password)
  .pipe(
    z.union(
      [z.literal(BOOTSTRAP_ADMIN_EMAIL), z.email('Podaj prawidłowy adres e-mail, np. jan.kowalski@um.torun.pl.')],
      { error: 'Podaj prawidłowy adres e-mail, np. jan.kowalski@um.torun.pl.' },
    ),
  );

export const passwordSchema = z
  .string({ error: 'Podaj hasło.' })
  .min(1, 'Podaj hasło.')
  .min(MIN_PASSWORD, `Hasło musi mieć co najmniej ${MIN_PASSWORD} znaków.`)
  .max(MAX_PASSWORD, `Hasło może mieć najwyżej ${MAX_PASSWORD} znaków.`);

export const roleSchema = z.enum(ROLES, {
  error: 'Wybierz rolę konta: administrator, pracownik jednostki albo członek RDPP.',
});

const nameSchema = formText(
  plainText(
    z
      .string({ error: 'Nieprawidłowe imię i nazwisko.' })
      .trim()
      .max(MAX_NAME, `Imię i nazwisko może mieć najwyżej ${MAX_NAME} znaków.`),
  ),
);

/** Checkbox groups of unit ids; a value that is not an id is reported like an unknown unit. */
const unitIdsSchema = (message: string) =>
  z.preprocess(
    asArray,
    z
      .array(
        z.coerce
          .number({ error: message })
          .int(message)
          .min(1, message)
          .max(2 ** 31, message),
      )
      .max(MAX_CHOSEN_UNITS, message)
      .transform((ids) => [...new Set(ids)]),
  );

const accountUnitIds = unitIdsSchema('Wybrano jednostkę, której nie ma w katalogu.');

const UNITS_REQUIRED = 'Zaznacz co najmniej jedną jednostkę, w której pracuje ta osoba.';

/** Unit staff need a unit; other roles have none (whatever was ticked is dropped). */
function unitsForRole<T extends { role: (typeof ROLES)[number]; unitIds: number[] }>(value: T, ctx: z.RefinementCtx) {
  if (value.role === 'unit' && value.unitIds.length === 0)
    ctx.addIssue({ code: 'custom', path: ['units'], message: UNITS_REQUIRED });
}

/** An optional password field: empty is no password (kept, or an invitation); a repeated field is not text. */
const optionalPassword = z.preprocess(
  (v) => (v === undefined || v === null || v === '' ? undefined : v),
  passwordSchema.optional(),
);

export const accountCreateSchema = z
  .object({
    email: formText(emailSchema),
    name: nameSchema,
    role: roleSchema,
    units: accountUnitIds,
    // empty: the person is invited by mail to choose their own
    password: optionalPassword,
  })
  .transform(({ units, ...rest }) => ({ ...rest, unitIds: rest.role === 'unit' ? units : [] }))
  .superRefine(unitsForRole);
export type AccountCreateInput = z.infer<typeof accountCreateSchema>;

export const accountUpdateSchema = z
  .object({
    name: nameSchema,
    role: roleSchema,
    units: accountUnitIds,
    // an unticked checkbox sends nothing
    active: z.preprocess((v) => v === '1' || v === 'on' || v === 'true', z.boolean()),
    // empty: keep the current password
    password: optionalPassword,
  })
  .transform(({ units, ...rest }) => ({ ...rest, unitIds: rest.role === 'unit' ? units : [] }))
  .superRefine(unitsForRole);
export type AccountUpdateInput = z.infer<typeof accountUpdateSchema>;

export const unitFormSchema = z.object({
  name: formText(
    plainText(
      z
        .string({ error: 'Podaj nazwę jednostki.' })
        .trim()
        .min(1, 'Podaj nazwę jednostki.')
        .max(MAX_UNIT_NAME, `Nazwa jednostki może mieć najwyżej ${MAX_UNIT_NAME} znaków.`),
    )
      // "Wydział  Edukacji" is the same name as "Wydział Edukacji"
      .transform((name) => name.replace(/\s+/g, ' ')),
  ),
  kind: z.enum(UNIT_KINDS, { error: 'Wybierz rodzaj jednostki z listy.' }),
  email: formText(
    z
      .string({ error: 'Nieprawidłowy adres e-mail.' })
      .trim()
      .max(MAX_EMAIL, `Adres e-mail może mieć najwyżej ${MAX_EMAIL} znaków.`)
      .toLowerCase(),
  ).pipe(z.union([z.literal(''), z.email('Podaj prawidłowy adres e-mail albo zostaw pole puste.')])),
  members: unitIdsSchema('Wybrano jednostkę członkowską, której nie ma w katalogu.'),
});
export type UnitFormInput = z.infer<typeof unitFormSchema>;

/** no message of its own: parseOr's 404 says there is no such page */
export const idParamSchema = z.object({ id: strictId() });

/** A new password, typed twice. */
const newPasswordFields = {
  newPassword: formText(passwordSchema),
  confirmPassword: formText(z.string({ error: 'Powtórz nowe hasło.' }).min(1, 'Powtórz nowe hasło.')),
};

function confirmationMatches(v: { newPassword: string; confirmPassword: string }, ctx: z.RefinementCtx) {
  if (v.confirmPassword && v.newPassword !== v.confirmPassword) {
    const message = 'Powtórzone hasło różni się od nowego hasła.';
    ctx.addIssue({ code: 'custom', path: ['confirmPassword'], message });
  }
}

/** "Moje konto": a new password, typed twice, and the current one as proof. */
export const ownPasswordSchema = z
  .object({
    currentPassword: formText(
      z.string({ error: 'Podaj obecne hasło.' }).min(1, 'Podaj obecne hasło.').max(MAX_PASSWORD, 'Podaj obecne hasło.'),
    ),
    ...newPasswordFields,
  })
  .superRefine(confirmationMatches);

/** The link of an invitation or a password reset: a token from the mail (no message: a bad one is no link). */
export const linkTokenSchema = z.object({ token: z.string().regex(ACCOUNT_TOKEN_PATTERN) });

/** The page that link opens: a new password, typed twice, with the link's token as proof. */
export const linkPasswordSchema = z
  .object({ token: z.string(), ...newPasswordFields })
  .superRefine(confirmationMatches);

/** "Nie pamiętasz hasła?" */
export const passwordResetSchema = z.object({ email: formText(emailSchema) });

export const accountQuerySchema = z.object({
  saved: z.enum(['password']).optional().catch(undefined),
});

export const listQuerySchema = z.object({
  saved: z.enum(['created', 'invited', 'updated', 'reinvited']).optional().catch(undefined),
});

/** The command line of src/cli/user-add.ts, after parseArgs. */
export const userAddArgsSchema = z.object({
  email: z.string({ error: 'Podaj adres e-mail: --email ADRES.' }).pipe(emailSchema),
  role: z
    .string({ error: 'Podaj rolę: --role admin|unit|reviewer.' })
    .pipe(z.enum(ROLES, { error: 'Nieznana rola: dozwolone admin, unit albo reviewer.' })),
  unit: z
    .array(
      z
        .string()
        .trim()
        .min(1, 'Nazwa jednostki (--unit) nie może być pusta.')
        .max(MAX_UNIT_NAME, 'Nazwa jednostki (--unit) jest za długa.'),
    )
    .default([]),
  name: z.string().trim().max(MAX_NAME, `Imię i nazwisko (--name) może mieć najwyżej ${MAX_NAME} znaków.`).optional(),
  password: passwordSchema.optional(),
});
export type UserAddArgs = z.infer<typeof userAddArgsSchema>;
