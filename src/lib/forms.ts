import type { z } from 'zod';

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
