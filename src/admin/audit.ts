import type { DbOrTx } from '../db/client.js';
import { auditLog } from '../db/schema/index.js';
import { ROLE_LABELS } from '../auth/policy.js';
import type { Role } from '../db/schema/accounts.js';

export type AuditAction =
  | 'account.created'
  | 'account.updated'
  | 'account.password-changed'
  | 'account.signed-out-everywhere'
  | 'account.invitation-sent'
  | 'unit.created'
  | 'unit.updated'
  | 'consultation.made-current';

export type AuditEntry = {
  /** null: the command line or the system (the first admin at start-up) */
  actorId: number | null;
  action: AuditAction;
  subjectType: 'account' | 'unit' | 'consultation';
  subjectId: number;
  subjectLabel: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
};

/** Writes one entry; call it inside the transaction of the change it records. Never pass a password hash. */
export function recordAudit(tx: DbOrTx, entry: AuditEntry, now = new Date().toISOString()): void {
  tx.insert(auditLog)
    .values({ ...entry, before: entry.before ?? null, after: entry.after ?? null, createdAt: now })
    .run();
}

/** Only the keys whose values differ, as { before, after }; null when nothing changed. */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>) {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    b[key] = before[key];
    a[key] = after[key];
  }
  return Object.keys(a).length ? { before: b, after: a } : null;
}

export const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  'account.created': 'utworzenie konta',
  'account.updated': 'zmiana konta',
  'account.password-changed': 'zmiana hasła',
  'account.signed-out-everywhere': 'wylogowanie ze wszystkich urządzeń',
  'account.invitation-sent': 'wysłanie zaproszenia (link do ustalenia hasła)',
  'unit.created': 'dodanie jednostki do katalogu',
  'unit.updated': 'zmiana jednostki w katalogu',
  'consultation.made-current': 'ustawienie bieżących konsultacji (strona główna i eksport)',
};

const FIELD_LABELS: Record<string, string> = {
  email: 'adres e-mail',
  name: 'imię i nazwisko',
  role: 'rola',
  active: 'konto aktywne',
  units: 'jednostki',
  kind: 'rodzaj',
  members: 'jednostki członkowskie',
  endedSessions: 'zakończone sesje',
  by: 'sposób',
};

const UNIT_FIELD_LABELS: Record<string, string> = { name: 'nazwa', email: 'adres e-mail jednostki' };

const BY_LABELS: Record<string, string> = {
  self: 'przez właściciela konta (Moje konto)',
  admin: 'przez administratora',
  cli: 'z wiersza poleceń',
  invitation: 'przez właściciela konta, linkiem z zaproszenia',
  reset: 'przez właściciela konta, linkiem z „Nie pamiętasz hasła?”',
  link: 'na prośbę z wygasłego linku zaproszenia',
};

function showValue(key: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '–';
  if (key === 'role') return ROLE_LABELS[value as Role] ?? String(value);
  if (key === 'by') return BY_LABELS[String(value)] ?? String(value);
  if (typeof value === 'boolean') return value ? 'tak' : 'nie';
  if (Array.isArray(value)) return value.length ? value.join('; ') : '–';
  if (typeof value === 'string') return `„${value}”`;
  return String(value);
}

type AuditRow = {
  id: number;
  action: string;
  subjectType: string;
  subjectId: number | null;
  subjectLabel: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  createdAt: string;
  actorId: number | null;
  actorEmail: string | null;
};

/** One entry as the page shows it: Polish action, who, and each changed field as "before → after". */
export function presentAudit(row: AuditRow) {
  const details: string[] = [];
  for (const key of Object.keys(row.after ?? {})) {
    const label = (row.subjectType === 'unit' ? UNIT_FIELD_LABELS[key] : undefined) ?? FIELD_LABELS[key] ?? key;
    const after = showValue(key, row.after?.[key]);
    details.push(
      row.before && key in row.before
        ? `${label}: ${showValue(key, row.before[key])} → ${after}`
        : `${label}: ${after}`,
    );
  }
  const link =
    row.subjectId === null
      ? null
      : row.subjectType === 'account'
        ? `/staff/users/${row.subjectId}`
        : row.subjectType === 'consultation'
          ? '/staff/consultations'
          : `/staff/units/${row.subjectId}`;
  return {
    id: row.id,
    createdAt: row.createdAt,
    actionLabel: AUDIT_ACTION_LABELS[row.action as AuditAction] ?? row.action,
    actor: row.actorEmail ?? (row.actorId === null ? null : `konto nr ${row.actorId}`),
    subjectLabel: row.subjectLabel,
    subjectLink: link,
    details,
  };
}
