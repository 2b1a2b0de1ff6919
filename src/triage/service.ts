import { and, asc, eq, inArray, isNull, ne } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { assignments, decisions, proposals, units, workshopTables } from '../db/schema/index.js';
import { todayInWarsaw } from '../lib/dates.js';
import { ConflictError, NotFoundError, RuleError } from '../workflow/errors.js';
import { unitName } from '../proposals/queries.js';
import { changeStatus, positionCounts, syncCollectingStatus } from '../workflow/service.js';
import { type ChangeTools, changeProposal, changeProposalIn } from '../workflow/change.js';
import { assertAllowed, collectingStatus, isDecided, manualTargets, openRefusal } from '../workflow/workflow.js';
import type { z } from 'zod';
import type { AssignInput, changeAssignmentSchema, correctionSchema, duplicateSchema, statusSchema } from './schema.js';

function requireFutureDate(dueDate: string, now: Date) {
  if (dueDate < todayInWarsaw(now)) throw new RuleError('dueDate', 'Termin stanowiska nie może być w przeszłości.');
}

/**
 * Assigns concrete units (groups must be resolved to members first) with one lead and a due date.
 * Adding a unit that is already assigned updates nothing for it.
 */
export function assignUnits(db: Db, proposalId: number, input: AssignInput, actorId: number, now = new Date()) {
  requireFutureDate(input.dueDate, now);
  return changeProposal(
    db,
    { proposalId, version: input.version, actorId, now },
    assignChange(proposalId, input, actorId),
  );
}

/** One row of a bulk assignment: a proposal still 'nowa', the units the admin ticked for it, its lead. */
export type BulkAssignRow = { proposalId: number; version: number; unitIds: number[]; leadUnitId: number };

/** What went wrong with one row of a bulk assignment (`field`: unitIds, leadUnitId, form; version: changed meanwhile). */
export type BulkRowFailure = { proposalId: number; field: string; message: string };

/** Some rows of a bulk assignment broke a rule: nothing was assigned. */
export class BulkAssignError extends Error {
  constructor(readonly failures: BulkRowFailure[]) {
    super(`${failures.length} row(s) refused`);
  }
}

const NOT_NEW = 'Propozycja nie jest już nowa: ktoś ją przekazał albo zmienił jej status, odkąd otwarto listę.';
const CHANGED_MEANWHILE = 'Ktoś zmienił tę propozycję, odkąd otwarto listę: sprawdź ją i wyślij formularz ponownie.';

/**
 * Triage in bulk: assigns every row in ONE transaction, through the same change as a single assignment (one set
 * of events, outbox rows and a data-version bump per proposal). Every row is tried (each in a savepoint) so that
 * all the bad ones can be named; if any fails, the whole transaction rolls back and BulkAssignError lists them.
 * Only proposals still 'nowa' are taken: a proposal assigned meanwhile is refused, not assigned twice.
 */
export function assignMany(db: Db, rows: BulkAssignRow[], dueDate: string, actorId: number, now = new Date()) {
  requireFutureDate(dueDate, now);
  return db.transaction(
    (tx) => {
      const failures: BulkRowFailure[] = [];
      for (const row of rows) {
        const input: AssignInput = { ...row, dueDate };
        try {
          tx.transaction((sp) =>
            changeProposalIn(
              sp,
              { proposalId: row.proposalId, version: row.version, actorId, now },
              assignChange(row.proposalId, input, actorId, { onlyNew: true }),
            ),
          );
        } catch (err) {
          if (err instanceof RuleError)
            failures.push({ proposalId: row.proposalId, field: err.field, message: err.message });
          else if (err instanceof ConflictError) {
            // most often someone assigned it meanwhile: say so, rather than only "changed"
            const now = tx
              .select({ status: proposals.status })
              .from(proposals)
              .where(eq(proposals.id, row.proposalId))
              .get();
            failures.push(
              now?.status === 'nowa'
                ? { proposalId: row.proposalId, field: 'version', message: CHANGED_MEANWHILE }
                : { proposalId: row.proposalId, field: 'form', message: NOT_NEW },
            );
          } else if (err instanceof NotFoundError)
            failures.push({ proposalId: row.proposalId, field: 'form', message: 'Nie ma takiej propozycji.' });
          else throw err;
        }
      }
      if (failures.length) throw new BulkAssignError(failures);
      return rows.length;
    },
    { behavior: 'immediate' },
  );
}

/** The assignment itself, run by the write path in whichever transaction it is given. */
function assignChange(proposalId: number, input: AssignInput, actorId: number, opts: { onlyNew?: boolean } = {}) {
  return ({ tx, proposal: p, emit, at }: ChangeTools) => {
    if (opts.onlyNew && p.status !== 'nowa') throw new RuleError('form', NOT_NEW);
    assertAllowed(openRefusal(p.status));
    if (!p.inSource) {
      throw new RuleError('form', 'Źródło nie pokazuje wiersza o tym numerze LP: nie ma czego przekazać.');
    }
    const chosen = tx.select().from(units).where(inArray(units.id, input.unitIds)).all();
    if (chosen.length !== new Set(input.unitIds).size) {
      throw new RuleError('unitIds', 'Wybrano jednostkę, której nie ma w katalogu.');
    }
    if (chosen.some((u) => u.kind === 'grupa')) {
      throw new RuleError('unitIds', 'Grupę jednostek trzeba najpierw rozwinąć na konkretne jednostki.');
    }
    const existing = tx.select().from(assignments).where(eq(assignments.proposalId, proposalId)).all();
    const existingIds = new Set(existing.map((a) => a.unitId));
    const fresh = chosen.filter((u) => !existingIds.has(u.id));
    if (fresh.length === 0) throw new RuleError('unitIds', 'Wybrane jednostki są już przypisane do tej propozycji.');
    const allUnitIds = [...existingIds, ...fresh.map((u) => u.id)];
    let leadId = input.leadUnitId ?? existing.find((a) => a.lead)?.unitId;
    if (leadId === undefined) {
      // never a silent pick (it used to be the first unit alphabetically): one unit leads itself, several need a choice
      if (fresh.length > 1) throw new RuleError('leadUnitId', 'Wybierz jednostkę wiodącą.');
      leadId = fresh[0]!.id;
    }
    if (!allUnitIds.includes(leadId)) {
      throw new RuleError('leadUnitId', 'Jednostka wiodąca musi być jedną z przypisanych jednostek.');
    }

    for (const a of existing) {
      if (a.lead !== (a.unitId === leadId)) {
        tx.update(assignments)
          .set({ lead: a.unitId === leadId })
          .where(eq(assignments.id, a.id))
          .run();
        const name = unitName(tx, a.unitId);
        emit({
          type: 'assignment.changed',
          before: { unitName: name, dueDate: a.dueDate, lead: a.lead },
          after: { unitId: a.unitId, unitName: name, dueDate: a.dueDate, lead: !a.lead },
        });
      }
    }
    for (const u of fresh) {
      tx.insert(assignments)
        .values({
          proposalId,
          unitId: u.id,
          lead: u.id === leadId,
          dueDate: input.dueDate,
          createdAt: at,
          createdBy: actorId,
        })
        .run();
      emit({
        type: 'assignment.added',
        after: { unitId: u.id, unitName: u.name, dueDate: input.dueDate, lead: u.id === leadId },
      });
    }
    syncCollectingStatus(tx, emit, proposalId, at);
    return fresh.length;
  };
}

export function changeAssignment(
  db: Db,
  proposalId: number,
  assignmentId: number,
  input: z.infer<typeof changeAssignmentSchema>,
  actorId: number,
  now = new Date(),
) {
  requireFutureDate(input.dueDate, now);
  changeProposal(db, { proposalId, version: input.version, actorId, now }, ({ tx, proposal: p, emit }) => {
    assertAllowed(openRefusal(p.status));
    const all = tx.select().from(assignments).where(eq(assignments.proposalId, proposalId)).all();
    const a = all.find((x) => x.id === assignmentId);
    if (!a) throw new RuleError('form', 'Tego przypisania już nie ma.');
    if (a.lead && !input.lead) {
      throw new RuleError('lead', 'Wskaż inną jednostkę jako wiodącą, zamiast odznaczać obecną.');
    }
    if (a.dueDate === input.dueDate && a.lead === input.lead) throw new RuleError('dueDate', 'Nic się nie zmieniło.');
    const name = (unitId: number) => unitName(tx, unitId);
    if (input.lead && !a.lead) {
      for (const other of all.filter((x) => x.lead)) {
        tx.update(assignments).set({ lead: false }).where(eq(assignments.id, other.id)).run();
        emit({
          type: 'assignment.changed',
          before: { unitName: name(other.unitId), dueDate: other.dueDate, lead: true },
          after: { unitId: other.unitId, unitName: name(other.unitId), dueDate: other.dueDate, lead: false },
        });
      }
    }
    tx.update(assignments).set({ dueDate: input.dueDate, lead: input.lead }).where(eq(assignments.id, a.id)).run();
    const changed = name(a.unitId);
    emit({
      type: 'assignment.changed',
      before: { unitName: changed, dueDate: a.dueDate, lead: a.lead },
      after: { unitId: a.unitId, unitName: changed, dueDate: input.dueDate, lead: input.lead },
    });
  });
}

export function removeAssignment(
  db: Db,
  proposalId: number,
  assignmentId: number,
  version: number,
  actorId: number,
  now = new Date(),
) {
  changeProposal(db, { proposalId, version, actorId, now }, ({ tx, proposal: p, emit, at }) => {
    assertAllowed(openRefusal(p.status));
    const a = tx
      .select()
      .from(assignments)
      .where(and(eq(assignments.id, assignmentId), eq(assignments.proposalId, proposalId)))
      .get();
    if (!a) throw new RuleError('form', 'Tego przypisania już nie ma.');
    tx.delete(assignments).where(eq(assignments.id, a.id)).run();
    emit({
      type: 'assignment.removed',
      before: { unitId: a.unitId, unitName: unitName(tx, a.unitId), dueDate: a.dueDate, lead: a.lead },
    });
    if (a.lead) {
      // the lead leaves: the earliest remaining assignment leads
      const next = tx
        .select()
        .from(assignments)
        .where(eq(assignments.proposalId, proposalId))
        .orderBy(asc(assignments.id))
        .limit(1)
        .get();
      if (next) {
        tx.update(assignments).set({ lead: true }).where(eq(assignments.id, next.id)).run();
        const nextName = unitName(tx, next.unitId);
        emit({
          type: 'assignment.changed',
          before: { unitName: nextName, dueDate: next.dueDate, lead: false },
          after: { unitId: next.unitId, unitName: nextName, dueDate: next.dueDate, lead: true },
        });
      }
    }
    syncCollectingStatus(tx, emit, proposalId, at);
  });
}

export function markDuplicate(
  db: Db,
  proposalId: number,
  input: z.infer<typeof duplicateSchema>,
  actorId: number,
  now = new Date(),
) {
  changeProposal(db, { proposalId, version: input.version, actorId, now }, ({ tx, proposal: p, emit, at }) => {
    if (p.status === 'duplikat')
      throw new RuleError('duplicateOfLp', 'Ta propozycja jest już oznaczona jako duplikat.');
    const original = tx
      .select()
      .from(proposals)
      .where(
        and(
          eq(proposals.consultationId, p.consultationId),
          eq(proposals.lp, input.duplicateOfLp),
          eq(proposals.inSource, true),
        ),
      )
      .get();
    if (!original) {
      throw new RuleError('duplicateOfLp', `W tych konsultacjach nie ma propozycji o LP ${input.duplicateOfLp}.`);
    }
    if (original.id === p.id) throw new RuleError('duplicateOfLp', 'Propozycja nie może być duplikatem samej siebie.');
    if (original.status === 'duplikat') {
      throw new RuleError(
        'duplicateOfLp',
        `LP ${original.lp} sama jest duplikatem: wskaż propozycję, którą rozpatrujemy.`,
      );
    }
    changeStatus(tx, emit, p, 'duplikat', at, input.reason);
    tx.update(proposals).set({ duplicateOfId: original.id }).where(eq(proposals.id, p.id)).run();
    emit({
      type: 'duplicate.marked',
      after: { duplicateOfId: original.id, duplicateOfLp: original.lp },
      note: input.reason,
    });
  });
}

export function unmarkDuplicate(db: Db, proposalId: number, version: number, actorId: number, now = new Date()) {
  changeProposal(db, { proposalId, version, actorId, now }, ({ tx, proposal: p, emit, at }) => {
    if (p.status !== 'duplikat') throw new RuleError('form', 'Ta propozycja nie jest oznaczona jako duplikat.');
    const original = p.duplicateOfId
      ? tx.select({ lp: proposals.lp }).from(proposals).where(eq(proposals.id, p.duplicateOfId)).get()
      : undefined;
    const c = positionCounts(tx, proposalId);
    changeStatus(tx, emit, p, collectingStatus(c.assigned, c.submitted), at);
    tx.update(proposals).set({ duplicateOfId: null }).where(eq(proposals.id, p.id)).run();
    emit({
      type: 'duplicate.unmarked',
      before: { duplicateOfId: p.duplicateOfId, duplicateOfLp: original?.lp ?? null },
    });
  });
}

export function correctMetadata(
  db: Db,
  proposalId: number,
  input: z.infer<typeof correctionSchema>,
  actorId: number,
  now = new Date(),
) {
  changeProposal(db, { proposalId, version: input.version, actorId, now }, ({ tx, proposal: p, emit, at }) => {
    if (input.field === 'lp') {
      if (input.value === p.lp) throw new RuleError('value', 'To jest obecny numer LP.');
      const taken = tx
        .select({ id: proposals.id })
        .from(proposals)
        .where(
          and(eq(proposals.consultationId, p.consultationId), eq(proposals.lp, input.value), ne(proposals.id, p.id)),
        )
        .get();
      if (taken) throw new RuleError('value', `Numer LP ${input.value} ma już inna propozycja w tych konsultacjach.`);
      tx.update(proposals)
        .set({ lp: input.value, lpDeduced: false, updatedAt: at })
        .where(eq(proposals.id, p.id))
        .run();
      emit({
        type: 'metadata.corrected',
        before: { field: 'lp', value: String(p.lp) },
        after: { field: 'lp', value: String(input.value) },
        note: input.reason,
      });
    } else {
      if (!p.workshopTableId) throw new RuleError('field', 'Ta propozycja nie ma stolika.');
      const t = tx.select().from(workshopTables).where(eq(workshopTables.id, p.workshopTableId)).get()!;
      if (t.theme === input.value && t.themeLegible) throw new RuleError('value', 'To jest obecny temat stolika.');
      tx.update(workshopTables)
        .set({ theme: input.value, themeLegible: true })
        .where(eq(workshopTables.id, t.id))
        .run();
      emit({
        type: 'metadata.corrected',
        before: { field: 'tableTheme', value: t.theme, tableNumber: t.number },
        after: { field: 'tableTheme', value: input.value, tableNumber: t.number },
        note: input.reason,
      });
    }
  });
}

/** The admin's manual moves after a decision: into implementation, done, or reopened with a reason. */
export function changeStatusManually(
  db: Db,
  proposalId: number,
  input: z.infer<typeof statusSchema>,
  actorId: number,
  now = new Date(),
) {
  changeProposal(db, { proposalId, version: input.version, actorId, now }, ({ tx, proposal: p, emit, at }) => {
    if (!manualTargets(p.status).includes(input.target)) {
      throw new RuleError('target', 'Ta zmiana statusu nie jest dozwolona w obecnym stanie propozycji.');
    }
    if (input.target === 'reopen') {
      if (!isDecided(p.status))
        throw new RuleError('target', 'Ponownie otworzyć można tylko propozycję rozstrzygniętą.');
      tx.update(decisions)
        .set({ retractedAt: at })
        .where(and(eq(decisions.proposalId, p.id), isNull(decisions.retractedAt)))
        .run();
      const c = positionCounts(tx, proposalId);
      changeStatus(tx, emit, p, collectingStatus(c.assigned, c.submitted), at, input.reason);
    } else {
      changeStatus(tx, emit, p, input.target, at, input.reason);
    }
  });
}

/** An internal note: recorded through the same write path (never public, never mailed). */
export function addNote(db: Db, proposalId: number, text: string, actorId: number, now = new Date()) {
  changeProposal(db, { proposalId, actorId, now }, ({ emit }) => {
    emit({ type: 'note.added', note: text });
  });
}
