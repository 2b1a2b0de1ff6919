import { OUTCOMES, type Outcome } from '../db/schema/workflow.js';
import { formatDatePl } from '../lib/dates.js';
import { OUTCOME_LABELS } from '../workflow/workflow.js';
import type { ReportProposal } from './queries.js';

/** What an absent header field reads as: stated, never left blank. */
export const NOT_FILLED = 'nie uzupełniono';
export const ILLEGIBLE_THEME = '[temat nieczytelny]';
export const GAP_TEXT = 'Źródło nie zawiera wiersza o tym numerze LP (numer pominięty, nie uzupełniano go).';
export const PENDING_LABEL = 'w trakcie rozpatrywania';

export const COLUMNS = [
  'Lp.',
  'Stolik',
  'Treść propozycji',
  'Adresaci (wskazani na warsztacie)',
  'Jednostki, które zajęły stanowisko',
  'Sposób rozpatrzenia',
  'Uzasadnienie / sposób wykorzystania',
] as const;

export type ReportRow = {
  lp: number;
  /** the source shows no row for this LP */
  gap: boolean;
  lpDeduced: boolean;
  table: string;
  text: string;
  addressees: string;
  respondents: string;
  outcome: Outcome | 'duplikat' | null;
  outcomeLabel: string;
  justification: string;
  decided: boolean;
  sourceNotes: string[];
};

export type ReportHeaderFields = {
  legalBasis: string;
  startDate: string | null;
  endDate: string | null;
  form: string;
  announcedIn: string;
  remarks: string;
};

export type Report = {
  consultation: { slug: string; title: string };
  header: ReportHeaderFields;
  /** "od 3 listopada 2026 do 17 listopada 2026", or NOT_FILLED */
  period: string;
  opinions: { date: string; text: string; attachmentName: string }[];
  proposalCount: number;
  tableCount: number;
  decidedCount: number;
  draft: boolean;
  gaps: number[];
  illegibleTables: { number: number; theme: string }[];
  rows: ReportRow[];
  counts: { label: string; count: number }[];
  generatedOn: string;
  dataVersion: number;
};

export function tableLabel(number: number | null, theme: string | null, legible: boolean | null): string {
  if (number === null) return '';
  const shown = theme ? theme : ILLEGIBLE_THEME;
  return legible || !theme ? `${number} – ${shown}` : `${number} – ${shown} (temat częściowo nieczytelny)`;
}

/** Title and sub-points as lines, the way the source lays them out. */
export function proposalText(title: string, points: string[]): string {
  return [title, ...points].filter(Boolean).join('\n');
}

function formatPeriod(start: string | null, end: string | null): string {
  if (start && end) return start === end ? formatDatePl(start) : `od ${formatDatePl(start)} do ${formatDatePl(end)}`;
  if (start) return `od ${formatDatePl(start)}`;
  if (end) return `do ${formatDatePl(end)}`;
  return NOT_FILLED;
}

function toRow(p: ReportProposal): ReportRow {
  const table = tableLabel(p.tableNumber, p.tableTheme, p.tableThemeLegible);
  if (!p.inSource) {
    return {
      lp: p.lp,
      gap: true,
      lpDeduced: p.lpDeduced,
      table,
      text: GAP_TEXT,
      addressees: '',
      respondents: '',
      outcome: null,
      outcomeLabel: '',
      justification: '',
      decided: false,
      sourceNotes: p.sourceNotes,
    };
  }
  const addressees = [...p.addressees, ...p.remarks.map((r) => `uwaga w zestawieniu: ${r}`)].join('; ');
  const base = {
    lp: p.lp,
    gap: false,
    lpDeduced: p.lpDeduced,
    table,
    text: proposalText(p.title, p.points),
    addressees,
    sourceNotes: p.sourceNotes,
  };
  if (p.decision) {
    return {
      ...base,
      respondents: p.decision.citedUnits.join('; '),
      outcome: p.decision.outcome,
      outcomeLabel: OUTCOME_LABELS[p.decision.outcome],
      justification: p.decision.text,
      decided: true,
    };
  }
  if (p.status === 'duplikat') {
    const of = p.duplicateOfLp === null ? 'innej propozycji' : `LP ${p.duplicateOfLp}`;
    return {
      ...base,
      respondents: '',
      outcome: 'duplikat',
      outcomeLabel: `rozpatrzona łącznie z ${of} (powtórzenie)`,
      justification: `Propozycja powtarza ${of}; sposób jej rozpatrzenia podano przy ${of}.`,
      decided: true,
    };
  }
  return { ...base, respondents: '', outcome: null, outcomeLabel: PENDING_LABEL, justification: '', decided: false };
}

/** The report as data: every format (HTML, XLSX, DOCX) renders this and nothing else. */
export function buildReport(input: {
  consultation: { slug: string; title: string };
  header: ReportHeaderFields | undefined;
  opinions: { date: string; text: string; attachmentName: string }[];
  tables: { number: number; theme: string; themeLegible: boolean }[];
  proposals: ReportProposal[];
  dataVersion: number;
  now: Date;
}): Report {
  const header = input.header ?? {
    legalBasis: '',
    startDate: null,
    endDate: null,
    form: '',
    announcedIn: '',
    remarks: '',
  };
  const rows = input.proposals.map(toRow);
  const proposalsOnly = rows.filter((r) => !r.gap);
  const decidedCount = proposalsOnly.filter((r) => r.decided).length;
  const count = (outcome: ReportRow['outcome']) => proposalsOnly.filter((r) => r.outcome === outcome).length;
  const counts = [
    ...OUTCOMES.map((o) => ({ label: OUTCOME_LABELS[o], count: count(o) })),
    { label: 'rozpatrzona łącznie z inną propozycją (powtórzenie)', count: count('duplikat') },
    { label: PENDING_LABEL, count: count(null) },
  ];
  return {
    consultation: input.consultation,
    header,
    period: formatPeriod(header.startDate, header.endDate),
    opinions: input.opinions,
    proposalCount: proposalsOnly.length,
    tableCount: input.tables.length,
    decidedCount,
    draft: decidedCount < proposalsOnly.length,
    gaps: rows.filter((r) => r.gap).map((r) => r.lp),
    illegibleTables: input.tables.filter((t) => !t.themeLegible).map((t) => ({ number: t.number, theme: t.theme })),
    rows,
    counts,
    generatedOn: formatDatePl(input.now),
    dataVersion: input.dataVersion,
  };
}

/** "LP 54 i 55", "LP 12, 54 i 55" */
export function listLps(lps: number[]): string {
  if (lps.length <= 1) return `LP ${lps.join('')}`;
  return `LP ${lps.slice(0, -1).join(', ')} i ${lps.at(-1)}`;
}

/** One line under the title: draft or final, with the progress. */
export function statusLine(r: Report): string {
  if (r.draft) {
    return (
      `PROJEKT – rozpatrzono ${r.decidedCount} z ${r.proposalCount} propozycji; ` +
      'zestawienie stanie się ostateczne, gdy wszystkie propozycje zostaną rozpatrzone.'
    );
  }
  return `Rozpatrzono wszystkie propozycje (${r.proposalCount}).`;
}

/** The sentences that state what the source lacks or shows illegibly. */
export function sourceCaveats(r: Report): string[] {
  const out: string[] = [];
  if (r.gaps.length) {
    out.push(
      `Źródło (skan zestawienia z warsztatu) nie zawiera wierszy ${listLps(r.gaps)}: ` +
        'numery pominięto w liczbie propozycji i nie uzupełniano ich treści.',
    );
  }
  if (r.illegibleTables.length) {
    const tables = r.illegibleTables
      .map((t) => (t.theme ? `${t.number} („${t.theme}”)` : `${t.number} (w całości)`))
      .join(', ');
    out.push(`Tematy stolików nieczytelne w całości lub w części: ${tables}. Znak „[…]” oznacza nieczytelny fragment.`);
  }
  return out;
}
