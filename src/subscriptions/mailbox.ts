import { hashToken as sha256Hex } from './tokens.js';

/**
 * The mailbox an address delivers to, for limits that must not be multiplied by spelling one mailbox many ways:
 * lower-cased, without the `+tag` of plus-addressing (`Jan.Kowalski+1@Example.pl` → `jan.kowalski@example.pl`).
 * Provider-specific aliases (dots at Gmail, `-tag` elsewhere) are not folded: they are not a general rule.
 */
export function mailboxOf(email: string): string {
  const address = email.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  const local = address.slice(0, at);
  const plus = local.indexOf('+');
  // "+tag@…" alone is a mailbox of its own, not an empty one
  return plus > 0 ? `${local.slice(0, plus)}${address.slice(at)}` : address;
}

/** What is kept of a mailbox for counting (SHA-256 of mailboxOf): the count survives erasing the address. */
export function mailboxHash(email: string): string {
  return sha256Hex(mailboxOf(email));
}
