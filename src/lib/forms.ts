import { z } from 'zod';
import { MESSAGES } from './errors.js';

export type FieldErrors = {
  /** in form order, for the error summary at the top (links to #field) */
  summary: { field: string; message: string }[];
  /** first message per field, shown beside the field */
  byField: Record<string, string>;
};

/** Turns zod issues into the GOV.UK-style error summary plus per-field messages. */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const byField: Record<string, string> = {};
  const summary: { field: string; message: string }[] = [];
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    if (byField[field]) continue;
    byField[field] = issue.message;
    summary.push({ field, message: issue.message });
  }
  return { summary, byField };
}

export function singleError(field: string, message: string): FieldErrors {
  return { summary: [{ field, message }], byField: { [field]: message } };
}

/** Checkbox groups and multi-selects arrive as a string or an array; always an array. */
export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

/** Database ids in URLs and forms: digits only, no sign, no leading zero, no 0x / 1e1 forms. */
export const ID_PATTERN = /^[1-9][0-9]{0,9}$/;

/**
 * A strict id. Without a message the caller's error map words the refusal (parseOr: 404 page);
 * numbers are accepted only as what their decimal digits would be.
 */
export function strictId(message?: string) {
  const error = message === undefined ? undefined : { error: message };
  const digits = z.string(error).regex(ID_PATTERN, error);
  const asDigits = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v);
  return z.preprocess(asDigits, digits).transform(Number);
}

/**
 * C0/C1 control characters except tab, line feed and carriage return (a textarea sends CRLF), and
 * the bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) plus
 * the directional marks: invisible, they can make a note or a name read differently from what it is.
 */
export const CONTROL_CHARACTERS = new RegExp(
  '[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F' + // C0 and C1 except tab, LF and CR; DEL
    '\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069]', // bidi marks, embeddings, overrides, isolates
);

export function hasControlCharacters(text: string): boolean {
  return CONTROL_CHARACTERS.test(text);
}

/** A free-text string schema that refuses control characters with a Polish field error. */
export function plainText<T extends z.ZodType<string, string>>(schema: T) {
  return schema.refine((v) => !hasControlCharacters(v), { error: MESSAGES.controlCharacters });
}
