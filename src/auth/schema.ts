import { z } from 'zod';

export const loginSchema = z.object({
  email: z.string().trim().min(1, 'Podaj adres e-mail.').max(254, 'Adres e-mail jest za długi.'),
  password: z.string().min(1, 'Podaj hasło.').max(1000, 'Hasło jest za długie.'),
  next: z.string().optional(),
});

/** Only same-site paths, never another origin ("//evil.example" or "https://…"). */
export function safeNext(next: string | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/staff';
  return next;
}
