import type { Role } from '../db/schema/accounts.js';

/** Who is acting: null for the public. */
export type Actor = { id: number; email: string; name: string; role: Role; unitIds: number[] } | null;

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Biuro Dialogu (administrator)',
  unit: 'pracownik jednostki',
  reviewer: 'członek RDPP (podgląd)',
};

/** Staff pages (read): admins, unit staff and RDPP reviewers. */
export function canViewStaffPages(actor: Actor): boolean {
  return actor !== null;
}

/** Triage, decisions, accounts, the unit directory: the dialogue office only. */
export function canManage(actor: Actor): boolean {
  return actor?.role === 'admin';
}

/** Reading a proposal's staff page: admins and reviewers all; unit staff only their units' proposals. */
export function canViewProposalAsStaff(actor: Actor, assignedUnitIds: number[]): boolean {
  if (!actor) return false;
  if (actor.role === 'admin' || actor.role === 'reviewer') return true;
  return assignedUnitIds.some((id) => actor.unitIds.includes(id));
}

/** Writing a unit's position: a member of that unit, and the unit must be assigned. */
export function canWritePosition(actor: Actor, unitId: number, assignedUnitIds: number[]): boolean {
  return actor?.role === 'unit' && actor.unitIds.includes(unitId) && assignedUnitIds.includes(unitId);
}

/** Internal notes: admins, and unit staff on proposals assigned to them. Reviewers change nothing. */
export function canAddNote(actor: Actor, assignedUnitIds: number[]): boolean {
  if (!actor) return false;
  if (actor.role === 'admin') return true;
  return actor.role === 'unit' && assignedUnitIds.some((id) => actor.unitIds.includes(id));
}
