import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { z } from 'zod';
import type { Db } from '../db/client.js';
import type { ProposalStatus } from '../db/schema/proposals.js';
import { inIds, preparedQuery } from '../db/prepared.js';
import { assignments, decisions, positions, positionVersions, units, type CitedPosition } from '../db/schema/index.js';
import { ConflictError, RuleError } from '../workflow/errors.js';
import { changeStatus } from '../workflow/service.js';
import { changeProposal } from '../workflow/change.js';
import { assertAllowed, decisionRefusal } from '../workflow/workflow.js';
import type { decisionSchema } from './schema.js';

/** The latest submitted version of each assigned unit's position. */
export function submittedPositions(db: Pick<Db, 'select'>, proposalId: number) {
  const assigned = db
    .select({ unitId: assignments.unitId })
    .from(assignments)
    .where(eq(assignments.proposalId, proposalId))
    .all()
    .map((a) => a.unitId);
  if (!assigned.length) return [];
  const rows = db
    .select({
      positionId: positions.id,
      unitId: positions.unitId,
      unitName: units.name,
      number: positionVersions.number,
      outcome: positionVersions.outcome,
      justification: positionVersions.justification,
      submittedAt: positionVersions.submittedAt,
      onBehalf: positionVersions.onBehalf,
      basisKind: positionVersions.basisKind,
      basisDate: positionVersions.basisDate,
    })
    .from(positions)
    .innerJoin(positionVersions, eq(positionVersions.positionId, positions.id))
    .innerJoin(units, eq(units.id, positions.unitId))
    .where(and(eq(positions.proposalId, proposalId), inArray(positions.unitId, assigned)))
    .orderBy(units.name, desc(positionVersions.number))
    .all();
  const latest = new Map<number, (typeof rows)[number]>();
  for (const r of rows) if (!latest.has(r.positionId)) latest.set(r.positionId, r);
  return [...latest.values()];
}

/** The positions a decision cites, as they will be published: only submitted positions of assigned units. */
export function citedPositions(available: ReturnType<typeof submittedPositions>, ids: number[]): CitedPosition[] {
  if (ids.some((id) => !available.some((a) => a.positionId === id))) {
    throw new RuleError('citedPositionIds', 'Można przywołać tylko złożone stanowiska przypisanych jednostek.');
  }
  return available
    .filter((a) => ids.includes(a.positionId))
    .map((a) => ({
      positionId: a.positionId,
      unitId: a.unitId,
      unitName: a.unitName,
      outcome: a.outcome,
      justification: a.justification,
      submittedAt: a.submittedAt,
      // a position the office recorded on the unit's behalf stays marked as such wherever it is published
      ...(a.onBehalf ? { onBehalf: true, basisKind: a.basisKind, basisDate: a.basisDate } : {}),
    }));
}

/** Publishes the decision: the outcome, the "sposób wykorzystania", and the positions it cites. */
export function publishDecision(
  db: Db,
  proposalId: number,
  input: z.infer<typeof decisionSchema>,
  actorId: number,
  now = new Date(),
) {
  changeProposal(db, { proposalId, version: input.version, actorId, now }, ({ tx, proposal: p, emit, at }) => {
    assertAllowed(decisionRefusal(p.status));
    const cited = citedPositions(submittedPositions(tx, proposalId), input.citedPositionIds);
    tx.update(decisions)
      .set({ retractedAt: at })
      .where(and(eq(decisions.proposalId, proposalId), isNull(decisions.retractedAt)))
      .run();
    tx.insert(decisions)
      .values({
        proposalId,
        outcome: input.outcome,
        text: input.text,
        citedPositions: cited,
        publishedAt: at,
        publishedBy: actorId,
      })
      .run();
    changeStatus(tx, emit, p, 'rozstrzygnieta', at);
    emit({ type: 'decision.published', after: { outcome: input.outcome, text: input.text } });
    for (const c of cited) emit({ type: 'position.published', after: { ...c } });
  });
}

/**
 * What publishing this decision would show the public, checked as publishDecision checks it (status,
 * version, cited positions) but writing nothing: the decision as it would be stored, and the submitted
 * positions it leaves out (those stay visible to staff only).
 */
export function previewDecision(
  db: Pick<Db, 'select'>,
  proposal: { id: number; status: ProposalStatus; version: number },
  input: z.infer<typeof decisionSchema>,
  now = new Date(),
) {
  assertAllowed(decisionRefusal(proposal.status));
  if (proposal.version !== input.version) throw new ConflictError();
  const available = submittedPositions(db, proposal.id);
  return {
    decision: {
      outcome: input.outcome,
      text: input.text,
      citedPositions: citedPositions(available, input.citedPositionIds),
      publishedAt: now.toISOString(),
    },
    notCited: available.filter((a) => !input.citedPositionIds.includes(a.positionId)),
  };
}

/**
 * The latest decision, in force or withdrawn (null: none was ever published). After a reopen the
 * decision form starts from it, so the office edits the previous text rather than retyping it.
 */
export function lastDecision(db: Pick<Db, 'select'>, proposalId: number) {
  return (
    db
      .select()
      .from(decisions)
      .where(eq(decisions.proposalId, proposalId))
      .orderBy(desc(decisions.id))
      .limit(1)
      .get() ?? null
  );
}

/** The decision in force (null while none is published or after reopening). */
export function currentDecision(db: Pick<Db, 'select'>, proposalId: number) {
  return (
    db
      .select()
      .from(decisions)
      .where(and(eq(decisions.proposalId, proposalId), isNull(decisions.retractedAt)))
      .orderBy(desc(decisions.id))
      .limit(1)
      .get() ?? null
  );
}

function outcomeStatement(db: Pick<Db, 'select'>) {
  return db
    .select({ proposalId: decisions.proposalId, id: decisions.id, outcome: decisions.outcome })
    .from(decisions)
    .where(and(inIds(decisions.proposalId), isNull(decisions.retractedAt)));
}

/** The outcome of each proposal's decision in force (as currentDecisions, without the texts): for lists. */
export function currentOutcomes(db: Pick<Db, 'select'>, proposalIds: number[]) {
  const out = new Map<number, (typeof decisions.$inferSelect)['outcome']>();
  if (proposalIds.length === 0) return out;
  const latest = new Map<number, number>();
  const statement = preparedQuery(db, 'outcomes of proposals', () => outcomeStatement(db));
  for (const d of statement.all({ ids: JSON.stringify(proposalIds) })) {
    if ((latest.get(d.proposalId) ?? -1) < d.id) {
      latest.set(d.proposalId, d.id);
      out.set(d.proposalId, d.outcome);
    }
  }
  return out;
}

/** Decisions in force for many proposals (open-data export). */
export function currentDecisions(db: Pick<Db, 'select'>, proposalIds: number[]) {
  const out = new Map<number, typeof decisions.$inferSelect>();
  for (let i = 0; i < proposalIds.length; i += 900) {
    for (const d of db
      .select()
      .from(decisions)
      .where(and(inArray(decisions.proposalId, proposalIds.slice(i, i + 900)), isNull(decisions.retractedAt)))
      .all()) {
      const prev = out.get(d.proposalId);
      if (!prev || prev.id < d.id) out.set(d.proposalId, d);
    }
  }
  return out;
}
