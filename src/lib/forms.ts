import { z } from 'zod';
import { MESSAGES, queryIssue } from './errors.js';

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

/**
 * A filter form sent by GET: its parsed values, or the field errors with what was sent, so the page shows the
 * form filled in as it came with an error summary (the schema's own messages; else one naming the parameter).
 */
export function parseFilterForm<T extends z.ZodType>(
  schema: T,
  query: unknown,
):
  | { data: z.infer<T>; errors: null; sent: Record<string, unknown> }
  | { data: null; errors: FieldErrors; sent: Record<string, unknown> } {
  const sent = query && typeof query === 'object' ? (query as Record<string, unknown>) : {};
  const result = schema.safeParse(sent, { error: queryIssue });
  return result.success
    ? { data: result.data, errors: null, sent }
    : { data: null, errors: fieldErrors(result.error), sent };
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

/** The longest value a form's field takes (characters), and for a list how many values. */
export type FieldLimit = { length: number; items: number };

/** A field whose schema names no length (a number, an id, a date): still short. */
const SHORT_FIELD = 100;
/** A list whose schema names no maximum. */
const LIST_ITEMS = 100;

type JsonSchema = {
  type?: string | string[];
  maxLength?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
};

function lengthOf(s: JsonSchema | undefined): number {
  if (!s) return SHORT_FIELD;
  if (s.maxLength !== undefined) return s.maxLength;
  if (s.enum) return Math.max(...s.enum.map((v) => String(v).length));
  if (s.const !== undefined) return String(s.const).length;
  return SHORT_FIELD;
}

/**
 * Each field a form's zod schema reads, with the longest value it takes (the fields of every branch of a
 * union), read from the schema's JSON Schema: what a kept copy of the form may hold, and no more.
 */
export function fieldLimits(schema: z.ZodType): Record<string, FieldLimit> {
  const limits: Record<string, FieldLimit> = {};
  const visit = (s: JsonSchema) => {
    for (const branch of [...(s.oneOf ?? []), ...(s.anyOf ?? []), ...(s.allOf ?? [])]) visit(branch);
    for (const [name, p] of Object.entries(s.properties ?? {})) {
      const limit =
        p.type === 'array'
          ? { length: lengthOf(p.items), items: p.maxItems ?? LIST_ITEMS }
          : { length: lengthOf(p), items: 1 };
      const seen = limits[name];
      limits[name] = seen
        ? { length: Math.max(seen.length, limit.length), items: Math.max(seen.items, limit.items) }
        : limit;
    }
  };
  visit(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema);
  return limits;
}
