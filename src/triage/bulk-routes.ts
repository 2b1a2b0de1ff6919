import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireAdmin } from '../auth/guards.js';
import { todayInWarsaw } from '../lib/dates.js';
import { plural } from '../lib/errors.js';
import { asArray, type FieldErrors } from '../lib/forms.js';
import { HttpError, parseOr } from '../lib/http.js';
import { addWorkingDays } from '../lib/working-days.js';
import { listUnits, membersOfGroup, unitsForProposals } from '../proposals/queries.js';
import { RuleError } from '../workflow/errors.js';
import { proposalsForTriage } from './queries.js';
import { bulkAssignSchema, bulkRowSchema, bulkSelectionSchema } from './schema.js';
import { assignMany, BulkAssignError, type BulkAssignRow } from './service.js';

export type BulkTriageOptions = {
  /** the due date proposed: this many working days after today (TRIAGE_DUE_WORKING_DAYS) */
  dueWorkingDays: number;
};

/** A problem to show: with a proposal id it belongs to that row; without, to a shared field (the due date). */
type Failure = { proposalId: number | null; field: string; message: string };

type TriageProposal = ReturnType<typeof proposalsForTriage>[number];

/** Where the queue shows the new proposals (and their checkboxes). */
export const QUEUE_NEW = '/staff/queue';

/**
 * Triage in bulk: the queue's selection of new proposals is reviewed on one page (the units the workshop named
 * for each, pre-ticked; one lead each; one due date) and assigned in one transaction, all or nothing.
 */
const routes: FastifyPluginAsync<BulkTriageOptions> = async (app, opts) => {
  const { db } = app.database;

  app.get('/staff/triage/bulk', { preHandler: requireAdmin }, async (request, reply) => {
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const { proposalIds } = parseOr(bulkSelectionSchema, { proposalIds: asArray(raw.proposalIds) });
    if (!proposalIds.length) return reply.redirect(`${QUEUE_NEW}?blad=nic-nie-zaznaczono#nowe`, 303);
    const found = proposalsForTriage(db, proposalIds);
    if (found.length !== proposalIds.length) throw new HttpError(404, 'Nie ma propozycji o takim numerze.');
    return renderReview(request, reply, found, null, [], 200);
  });

  app.post('/assignments/bulk', { preHandler: requireAdmin }, async (request, reply) => {
    const raw = { ...((request.body ?? {}) as Record<string, unknown>) };
    delete raw._csrf;
    const ids = bulkAssignSchema.shape.proposalIds.safeParse(asArray(raw.proposalIds));
    if (!ids.success) throw new HttpError(400, ids.error.issues[0]?.message ?? 'Nie wybrano propozycji.');
    const found = proposalsForTriage(db, ids.data);
    if (found.length !== ids.data.length) throw new HttpError(404, 'Nie ma propozycji o takim numerze.');

    const failures: Failure[] = [];
    const due = bulkAssignSchema.shape.dueDate.safeParse(raw.dueDate ?? '');
    if (!due.success) failures.push({ proposalId: null, field: 'dueDate', message: due.error.issues[0]!.message });
    const rows: BulkAssignRow[] = [];
    for (const p of found) {
      const row = bulkRowSchema.safeParse({
        version: raw[`version-${p.id}`],
        unitIds: asArray(raw[`units-${p.id}`]),
        extraUnitId: raw[`extra-${p.id}`] ?? '',
        leadUnitId: raw[`lead-${p.id}`] ?? '',
      });
      if (row.success) rows.push({ proposalId: p.id, ...row.data, leadUnitId: row.data.leadUnitId! });
      else
        for (const issue of row.error.issues)
          failures.push({ proposalId: p.id, field: String(issue.path[0] ?? 'form'), message: issue.message });
    }
    if (failures.length) return renderReview(request, reply, found, raw, failures, 422);

    try {
      const count = assignMany(db, rows, due.data!, request.user!.id);
      return reply.redirect(`${QUEUE_NEW}?przekazano=${count}`, 303);
    } catch (err) {
      if (err instanceof BulkAssignError) return renderReview(request, reply, found, raw, err.failures, 422);
      if (err instanceof RuleError)
        return renderReview(
          request,
          reply,
          found,
          raw,
          [{ proposalId: null, field: err.field, message: err.message }],
          422,
        );
      throw err;
    }
  });

  /**
   * The review page: one row per proposal still new, with the units the workshop named pre-ticked (or what was
   * typed, after a refusal); proposals no longer new are listed as left out, not offered again.
   */
  async function renderReview(
    request: FastifyRequest,
    reply: FastifyReply,
    chosen: TriageProposal[],
    values: Record<string, unknown> | null,
    failures: Failure[],
    statusCode: number,
  ) {
    // read again: after a refusal, a proposal may have been assigned by someone else meanwhile
    const current = new Map(
      proposalsForTriage(
        db,
        chosen.map((p) => p.id),
      ).map((p) => [p.id, p]),
    );
    const taken = chosen.map((p) => current.get(p.id) ?? p).filter((p) => p.status === 'nowa' && p.inSource);
    const takenIds = new Set(taken.map((p) => p.id));
    const skipped = chosen.filter((p) => !takenIds.has(p.id));
    const conflicted = new Set(failures.filter((f) => f.field === 'version').map((f) => f.proposalId));
    const source = unitsForProposals(
      db,
      taken.map((p) => p.id),
    );
    const concrete = listUnits(db).filter((u) => u.kind !== 'grupa');
    const members = new Map<number, { id: number; name: string }[]>();
    const membersOf = (groupId: number) => {
      if (!members.has(groupId))
        members.set(
          groupId,
          membersOfGroup(db, groupId).filter((u) => u.kind !== 'grupa'),
        );
      return members.get(groupId)!;
    };
    const str = (v: unknown) => (typeof v === 'string' ? v : '');

    const rows = taken.map((p) => {
      const named = (source.get(p.id) ?? []).filter((u) => u.kind !== 'grupa');
      const namedIds = new Set(named.map((u) => u.id));
      // a unit named directly, or already proposed by an earlier group, is offered once
      const seen = new Set(namedIds);
      const groups = (source.get(p.id) ?? [])
        .filter((u) => u.kind === 'grupa')
        .map((g) => {
          const fresh = membersOf(g.id).filter((m) => !seen.has(m.id));
          for (const m of fresh) seen.add(m.id);
          return { id: g.id, name: g.name, members: fresh };
        });
      const offeredIds = new Set([...namedIds, ...groups.flatMap((g) => g.members.map((m) => m.id))]);
      const ticked = values
        ? new Set(asArray(values[`units-${p.id}`]).map(String))
        : new Set(named.map((u) => String(u.id)));
      const box = (u: { id: number; name: string }) => ({ id: u.id, name: u.name, checked: ticked.has(String(u.id)) });
      const offered = [...named, ...groups.flatMap((g) => g.members)];
      return {
        ...p,
        version: values && !conflicted.has(p.id) ? str(values[`version-${p.id}`]) : String(p.version),
        named: named.map(box),
        groups: groups.map((g) => ({ ...g, members: g.members.map(box) })),
        offered,
        others: concrete.filter((u) => !offeredIds.has(u.id)),
        lead: values ? str(values[`lead-${p.id}`]) : String(named[0]?.id ?? ''),
        extra: values ? str(values[`extra-${p.id}`]) : '',
      };
    });

    const lpOf = new Map(chosen.map((p) => [p.id, p.lp]));
    const errors: FieldErrors = { summary: [], byField: {} };
    for (const f of failures) {
      let target: string;
      let message = f.message;
      if (f.proposalId === null) target = `bulk-${f.field}`;
      else if (!takenIds.has(f.proposalId)) {
        target = 'pominiete';
        message = `${f.message} Usunęliśmy ją z listy: wyślij formularz ponownie, aby przekazać pozostałe.`;
      } else target = ['unitIds', 'leadUnitId'].includes(f.field) ? `r${f.proposalId}-${f.field}` : `r${f.proposalId}`;
      const lp = f.proposalId === null ? null : lpOf.get(f.proposalId);
      errors.summary.push({ field: target, message: lp === null ? message : `LP ${lp}: ${message}` });
      errors.byField[target] ??= message;
    }

    const today = todayInWarsaw();
    const proposedDue = addWorkingDays(today, opts.dueWorkingDays);
    const page = {
      ...(await app.pageContext(request, reply)),
      nav: 'staff',
      rows,
      skipped,
      manyConsultations: new Set(taken.map((p) => p.consultationId)).size > 1,
      dueDate: values ? str(values.dueDate) : proposedDue,
      proposedDue,
      dueWorkingDays: opts.dueWorkingDays,
      today,
      errors: errors.summary.length ? errors : null,
      countText: `${rows.length} ${plural(rows.length, 'propozycja', 'propozycje', 'propozycji')}`,
      backUrl: `${QUEUE_NEW}?${new URLSearchParams(chosen.map((p) => ['proposalIds', String(p.id)]))}#nowe`,
    };
    return reply
      .code(statusCode)
      .type('text/html; charset=utf-8')
      .send(await app.view('staff/bulk-triage.njk', page));
  }
};

export default routes;
