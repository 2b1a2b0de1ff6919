import { stringify } from 'csv-stringify/sync';
import type { Db } from '../db/client.js';
import { fullText } from '../proposals/text.js';
import { formatDatePl } from '../lib/dates.js';
import { STATUS_LABELS } from '../proposals/status.js';
import { currentDecisions } from '../decisions/service.js';
import { publicEventsFor } from '../events/queries.js';
import { describeEvent, eventBody } from '../events/present.js';
import { OUTCOME_LABELS } from '../workflow/workflow.js';
import { recordedSentence } from '../positions/basis.js';
import { exportChunkRows } from './queries.js';
import { duplicateOriginalsFor, proposalUnitsFor } from '../proposals/queries.js';

/** One proposal as the open-data export publishes it (JSON record; the CSV row is built from it). */
export type ExportRecord = ReturnType<typeof exportRecords>[number];

/** The export records of these proposals, in the order of `ids` (callers pass a bounded chunk). */
export function exportRecords(db: Db, ids: number[], consultationSlug: string, baseUrl: string) {
  const { rows } = exportChunkRows(db, ids);
  const decisionsById = currentDecisions(db, ids);
  const eventsById = publicEventsFor(db, ids);
  // the units of a proposal as the pages show them (src/proposals/queries.ts proposalUnitsFor)
  const unitsById = proposalUnitsFor(db, ids);
  const originals = duplicateOriginalsFor(db, ids);
  return rows.map((r) => {
    const d = decisionsById.get(r.id);
    const pu = unitsById.get(r.id);
    const original = originals.get(r.id);
    const table =
      r.tableNumber === null
        ? null
        : {
            number: r.tableNumber,
            theme: r.tableTheme,
            themeLegible: r.tableThemeLegible,
            moderators: r.moderators,
          };
    return {
      id: r.id,
      url: `${baseUrl}/proposals/${r.id}`,
      consultation: consultationSlug,
      lp: r.lp,
      lpDeduced: r.lpDeduced,
      table,
      title: r.title,
      text: fullText(r),
      points: r.points,
      units: (pu?.source ?? []).map((u) => u.name),
      assignedUnits: (pu?.assigned ?? []).map((u) => ({
        unit: u.name,
        slug: u.slug,
        lead: u.lead,
        dueDate: u.dueDate,
        positionSubmitted: u.positionSubmitted,
      })),
      remarks: r.remarks,
      status: r.status,
      statusLabel: STATUS_LABELS[r.status],
      outcome: d?.outcome ?? null,
      outcomeLabel: d ? OUTCOME_LABELS[d.outcome] : null,
      duplicateOf: original ? { lp: original.lp, url: `${baseUrl}/proposals/${original.id}` } : null,
      sourceNotes: r.sourceNotes,
      decision: d
        ? { outcome: d.outcome, outcomeLabel: OUTCOME_LABELS[d.outcome], text: d.text, date: d.publishedAt }
        : null,
      positions: d
        ? d.citedPositions.map((c) => ({
            unit: c.unitName,
            outcome: c.outcome,
            outcomeLabel: OUTCOME_LABELS[c.outcome],
            text: c.justification,
            date: c.submittedAt,
            // recorded by the office from what the unit sent (a letter, an e-mail, a meeting note), not by the unit
            recordedOnBehalf: c.onBehalf === true,
            basis: c.onBehalf ? (c.basisKind ?? null) : null,
            basisDate: c.onBehalf ? (c.basisDate ?? null) : null,
            recordedNote: recordedSentence(c),
          }))
        : [],
      events: (eventsById.get(r.id) ?? []).map((e) => ({
        type: e.type,
        date: e.createdAt,
        description: describeEvent(e),
        text: eventBody(e) || (e.type === 'status.changed' ? e.note : ''),
      })),
      updatedAt: r.updatedAt,
    };
  });
}

export const CSV_COLUMNS = [
  'LP',
  'LP ustalone',
  'Stolik',
  'Temat stolika',
  'Tytuł',
  'Treść',
  'Jednostki',
  'Uwagi',
  'Status',
  'Rozstrzygnięcie',
  'Sposób wykorzystania',
  'Data decyzji',
  'Notatki o źródle',
  'Adres',
  'Przekazano do',
  'Duplikat propozycji LP',
] as const;

/**
 * A text cell a spreadsheet would run as a formula (OWASP "CSV Injection": =, +, -, @, tab,
 * carriage return) gets a leading single quote, so Excel and LibreOffice show it as text.
 */
export function neutralizeFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

function csvRow(r: ExportRecord): (string | number)[] {
  const cells: (string | number)[] = [
    r.lp,
    r.lpDeduced ? 'tak' : 'nie',
    r.table?.number ?? '',
    r.table?.theme ?? '',
    r.title,
    r.text,
    r.units.join('\n'),
    r.remarks.join('\n'),
    r.statusLabel,
    r.decision?.outcomeLabel ?? '',
    r.decision?.text ?? '',
    r.decision ? formatDatePl(r.decision.date) : '',
    r.sourceNotes.join('\n'),
    r.url,
    r.assignedUnits.map((u) => (u.lead ? `${u.unit} (jednostka wiodąca)` : u.unit)).join('\n'),
    r.duplicateOf?.lp ?? '',
  ];
  return cells.map((c) => (typeof c === 'string' ? neutralizeFormula(c) : c));
}

const CSV_OPTIONS = {
  delimiter: ';',
  record_delimiter: '\r\n',
  // csv-stringify quotes a cell holding the whole record delimiter (\r\n) but not a lone \n or \r,
  // which would split the record in every reader: quote any cell with a line break
  quoted_match: /[\r\n]/,
} as const;

/** The CSV's first bytes: the BOM Polish Excel needs to read UTF-8, and the header row. */
export function csvHead(): string {
  return `\ufeff${stringify([[...CSV_COLUMNS]], CSV_OPTIONS)}`;
}

/** CSV rows (no header) for these records; one chunk of the file. */
export function csvRows(records: ExportRecord[]): string {
  return records.length ? stringify(records.map(csvRow), CSV_OPTIONS) : '';
}
