import { OUTCOMES, type Outcome } from '../db/schema/workflow.js';
import { formatDatePl, formatDateTimePl } from '../lib/dates.js';
import { fullText } from '../proposals/text.js';
import { isConsidered, OUTCOME_LABELS } from '../workflow/workflow.js';
import type { ReportProposal } from './queries.js';

/** What an absent header field reads as: stated, never left blank. */
export const NOT_FILLED = 'nie uzupełniono';
export const ILLEGIBLE_THEME = '[temat nieczytelny]';
export const GAP_TEXT = 'Źródło nie zawiera wiersza o tym numerze LP (numer pominięty, nie uzupełniano go).';
export const PENDING_LABEL = 'w trakcie rozpatrywania';
export const DUPLICATE_COUNT_LABEL = 'rozpatrzona łącznie z inną propozycją (powtórzenie)';

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
  table: string;
  text: string;
  addressees: string;
  respondents: string;
  outcome: Outcome | 'duplikat' | null;
  outcomeLabel: string;
  justification: string;
  /** "rozpatrzona": see isConsidered */
  considered: boolean;
};

export type ReportHeaderFields = {
  legalBasis: string;
  startDate: string | null;
  endDate: string | null;
  form: string;
  announcedIn: string;
  remarks: string;
  preparedBy: string;
  approvedBy: string;
  approvedOn: string | null;
};

export type Report = {
  consultation: { slug: string; title: string };
  header: ReportHeaderFields;
  /** "od 3 listopada 2026 do 17 listopada 2026", or NOT_FILLED */
  period: string;
  opinions: { date: string; text: string; attachmentName: string }[];
  proposalCount: number;
  tableCount: number;
  consideredCount: number;
  draft: boolean;
  gaps: number[];
  illegibleTables: { number: number; theme: string }[];
  rows: ReportRow[];
  counts: { label: string; count: number }[];
  generatedOn: string;
  /** "25 listopada 2026, godz. 14:05": when the data it shows last changed (null: never since the import) */
  dataAsOf: string | null;
};

export function tableLabel(number: number | null, theme: string | null, legible: boolean | null): string {
  if (number === null) return '';
  const shown = theme ? theme : ILLEGIBLE_THEME;
  return legible || !theme ? `${number} – ${shown}` : `${number} – ${shown} (temat częściowo nieczytelny)`;
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
      table,
      text: GAP_TEXT,
      addressees: '',
      respondents: '',
      outcome: null,
      outcomeLabel: '',
      justification: '',
      considered: false,
    };
  }
  const addressees = [...p.addressees, ...p.remarks.map((r) => `uwaga w zestawieniu: ${r}`)].join('; ');
  const considered = isConsidered(p.status, p.duplicateOfStatus);
  const base = { lp: p.lp, gap: false, table, text: fullText(p), addressees, respondents: '', considered };
  if (p.status === 'duplikat') {
    const of = p.duplicateOfLp === null ? 'innej propozycji' : `LP ${p.duplicateOfLp}`;
    if (considered) {
      return {
        ...base,
        outcome: 'duplikat',
        outcomeLabel: `rozpatrzona łącznie z ${of} (powtórzenie)`,
        justification: `Propozycja powtarza ${of}; sposób jej rozpatrzenia podano przy ${of}.`,
      };
    }
    // its answer is the original's, which is not given yet
    return {
      ...base,
      outcome: null,
      outcomeLabel: `${PENDING_LABEL} (łącznie z ${of})`,
      justification: `Propozycja powtarza ${of}; sposób jej rozpatrzenia zostanie podany przy ${of}.`,
    };
  }
  if (p.decision) {
    return {
      ...base,
      respondents: p.decision.citedUnits.join('; '),
      outcome: p.decision.outcome,
      outcomeLabel: OUTCOME_LABELS[p.decision.outcome],
      justification: p.decision.text,
    };
  }
  return { ...base, outcome: null, outcomeLabel: PENDING_LABEL, justification: '' };
}

const EMPTY_HEADER: ReportHeaderFields = {
  legalBasis: '',
  startDate: null,
  endDate: null,
  form: '',
  announcedIn: '',
  remarks: '',
  preparedBy: '',
  approvedBy: '',
  approvedOn: null,
};

/** The report as data: every format (HTML, XLSX, DOCX) renders this and nothing else. */
export function buildReport(input: {
  consultation: { slug: string; title: string };
  header: ReportHeaderFields | undefined;
  opinions: { date: string; text: string; attachmentName: string }[];
  tables: { number: number; theme: string; themeLegible: boolean }[];
  proposals: ReportProposal[];
  lastChangeAt: string | null;
  now: Date;
}): Report {
  const header = input.header ?? EMPTY_HEADER;
  const rows = input.proposals.map(toRow);
  const proposalsOnly = rows.filter((r) => !r.gap);
  const consideredCount = proposalsOnly.filter((r) => r.considered).length;
  const count = (outcome: ReportRow['outcome']) => proposalsOnly.filter((r) => r.outcome === outcome).length;
  const counts = [
    ...OUTCOMES.map((o) => ({ label: OUTCOME_LABELS[o], count: count(o) })),
    { label: DUPLICATE_COUNT_LABEL, count: count('duplikat') },
    { label: PENDING_LABEL, count: count(null) },
  ];
  return {
    consultation: input.consultation,
    header,
    period: formatPeriod(header.startDate, header.endDate),
    opinions: input.opinions,
    proposalCount: proposalsOnly.length,
    tableCount: input.tables.length,
    consideredCount,
    draft: consideredCount < proposalsOnly.length,
    gaps: rows.filter((r) => r.gap).map((r) => r.lp),
    illegibleTables: input.tables.filter((t) => !t.themeLegible).map((t) => ({ number: t.number, theme: t.theme })),
    rows,
    counts,
    generatedOn: formatDatePl(input.now),
    dataAsOf: input.lastChangeAt ? formatDateTimePl(input.lastChangeAt).replace(', ', ', godz. ') : null,
  };
}

/** "LP 54 i 55", "LP 12, 54 i 55" */
export function listLps(lps: number[]): string {
  if (lps.length <= 1) return `LP ${lps.join('')}`;
  return `LP ${lps.slice(0, -1).join(', ')} i ${lps.at(-1)}`;
}

export function reportTitle(r: Report): string {
  return `${r.draft ? 'PROJEKT – ' : ''}Zestawienie propozycji i sposobu ich rozpatrzenia`;
}

/** One line under the title: draft or final, with the progress. */
export function statusLine(r: Report): string {
  if (r.draft) {
    return (
      `PROJEKT – rozpatrzono ${r.consideredCount} z ${r.proposalCount} propozycji; ` +
      'zestawienie stanie się ostateczne, gdy wszystkie propozycje zostaną rozpatrzone.'
    );
  }
  return `Rozpatrzono wszystkie propozycje (${r.proposalCount}).`;
}

/** When the data was taken and when the file was made, in words a reader can check (no internal counters). */
export function generatedLine(r: Report): string {
  const asOf = r.dataAsOf ? `Dane według stanu na ${r.dataAsOf}. ` : '';
  return `${asOf}Zestawienie wygenerowano ${r.generatedOn}.`;
}

/** The header of the report as label–value pairs; counts stay numbers (the XLSX keeps them as such). */
export function headerFacts(r: Report): [string, string | number][] {
  const opinions = r.opinions.length
    ? r.opinions
        .map((o) => `${formatDatePl(o.date)}: ${o.text}${o.attachmentName ? ` (załącznik: ${o.attachmentName})` : ''}`)
        .join('\n')
    : 'brak opinii w danych';
  return [
    ['Przedmiot konsultacji', r.consultation.title],
    ['Podstawa prawna', r.header.legalBasis || NOT_FILLED],
    ['Termin konsultacji', r.period],
    ['Forma konsultacji', r.header.form || NOT_FILLED],
    ['Gdzie ogłoszono', r.header.announcedIn || NOT_FILLED],
    ['Liczba propozycji', r.proposalCount],
    ['Liczba stolików tematycznych', r.tableCount],
    ['Propozycje rozpatrzone', r.consideredCount],
    ['Opinia Rady Działalności Pożytku Publicznego', opinions],
    ['Uwagi o przebiegu konsultacji', r.header.remarks || 'brak'],
  ];
}

/** The sign-off under the report, as the office filled it in (absent fields said to be missing). */
export function signOffFacts(r: Report): [string, string][] {
  return [
    ['Sporządził(a)', r.header.preparedBy || NOT_FILLED],
    ['Zatwierdził(a)', r.header.approvedBy || NOT_FILLED],
    ['Data zatwierdzenia', r.header.approvedOn ? formatDatePl(r.header.approvedOn) : NOT_FILLED],
  ];
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
