import { assignUnits, changeStatusManually, markDuplicate } from '../../src/triage/service.js';
import { savePosition } from '../../src/positions/service.js';
import { publishDecision, submittedPositions } from '../../src/decisions/service.js';
import type { Outcome } from '../../src/db/schema/workflow.js';
import { createUser, type App, unitIdByName } from '../helpers.js';

export const KULTURA = 'Wydział Kultury';
export const ZDROWIE = 'Wydział Zdrowia i Polityki Społecznej';

/** A fixed clock: the n-th step of a story happens n minutes after 1 December 2026, 10:00 UTC. */
export const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 10, minute));

/** Drives a proposal through the workflow's services, as the staff forms do. */
export async function storyTools(app: App) {
  const { db, sqlite } = app.database;
  const adminId = await createUser(app, `admin-${Math.random().toString(36).slice(2)}@torun.test`, 'admin');
  const version = (id: number) =>
    (sqlite.prepare('SELECT version FROM proposals WHERE id = ?').get(id) as { version: number }).version;
  const unit = (name: string) => unitIdByName(app, name);
  const staff = new Map<string, number>();
  const staffOf = async (name: string) => {
    if (!staff.has(name)) {
      const email = `u${staff.size}-${Math.random().toString(36).slice(2)}@torun.test`;
      staff.set(name, await createUser(app, email, 'unit', [name]));
    }
    return { id: staff.get(name)!, email: 'x@torun.test', name: '', role: 'unit' as const, unitIds: [unit(name)] };
  };
  return {
    assign: (id: number, names: string[], lead: string, dueDate: string, now: Date) =>
      assignUnits(
        db,
        id,
        { version: version(id), unitIds: names.map(unit), leadUnitId: unit(lead), dueDate },
        adminId,
        now,
      ),
    position: async (id: number, name: string, outcome: Outcome, justification: string, now: Date) => {
      const actor = await staffOf(name);
      const current = sqlite
        .prepare('SELECT version FROM positions WHERE proposal_id = ? AND unit_id = ?')
        .get(id, unit(name)) as { version: number } | undefined;
      savePosition(
        db,
        id,
        { unitId: unit(name), positionVersion: current?.version ?? 0, action: 'submit', outcome, justification },
        actor,
        now,
      );
    },
    decide: (id: number, outcome: Outcome, text: string, now: Date) =>
      publishDecision(
        db,
        id,
        {
          version: version(id),
          outcome,
          text,
          citedPositionIds: submittedPositions(db, id).map((p) => p.positionId),
        },
        adminId,
        now,
      ),
    reopen: (id: number, reason: string, now: Date) =>
      changeStatusManually(db, id, { version: version(id), target: 'reopen', reason }, adminId, now),
    duplicate: (id: number, ofLp: number, reason: string, now: Date) =>
      markDuplicate(db, id, { version: version(id), duplicateOfLp: ofLp, reason }, adminId, now),
  };
}
