import type { Role } from '../db/schema/accounts.js';

/** Who is acting: null for the public. */
export type Actor = {
  id: number;
  email: string;
  name: string;
  role: Role;
  unitIds: number[];
  /** an admin typed this account's password: until its owner replaces it, only "Moje konto" opens */
  mustChangePassword?: boolean;
} | null;

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Biuro Dialogu (administrator)',
  unit: 'pracownik jednostki',
  reviewer: 'członek RDPP (podgląd)',
};

/** Staff pages (read): admins, unit staff and RDPP reviewers. */
export function canViewStaffPages(actor: Actor): boolean {
  return actor !== null;
}

/** "Postęp konsultacji" and the queue: the RDPP (reviewers) and the office; unit staff have their own list. */
export function canViewProgress(actor: Actor): boolean {
  return actor?.role === 'reviewer' || actor?.role === 'admin';
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

/**
 * How an actor writes a unit's position, or null when they may not: a member of the unit writes it as the unit's;
 * an admin writes the office's own position (a unit their account is linked to, or the office's unit) and records
 * any other assigned unit's position on its behalf, from what the unit sent. The unit must be assigned.
 */
export type PositionAuthorship = 'unit' | 'office' | 'on-behalf';
export function positionAuthorship(
  actor: Actor,
  unitId: number,
  assignedUnitIds: number[],
  officeUnitId: number | null,
): PositionAuthorship | null {
  if (!actor || !assignedUnitIds.includes(unitId)) return null;
  if (actor.role === 'unit') return actor.unitIds.includes(unitId) ? 'unit' : null;
  if (actor.role === 'admin') return actor.unitIds.includes(unitId) || unitId === officeUnitId ? 'office' : 'on-behalf';
  return null;
}

/** Writing a unit's position: a member of that unit, or an admin; the unit must be assigned. */
export function canWritePosition(actor: Actor, unitId: number, assignedUnitIds: number[]): boolean {
  return positionAuthorship(actor, unitId, assignedUnitIds, null) !== null;
}

/** Internal notes: admins, and unit staff on proposals assigned to them. Reviewers change nothing. */
export function canAddNote(actor: Actor, assignedUnitIds: number[]): boolean {
  if (!actor) return false;
  if (actor.role === 'admin') return true;
  return actor.role === 'unit' && assignedUnitIds.some((id) => actor.unitIds.includes(id));
}
