import { parseProposalFile } from '../../src/imports/format.js';
import { importProposals } from '../../src/imports/service.js';
import type { App } from '../helpers.js';

const HEADER =
  'lp,lp_deduced,in_source,table_no,table_theme,table_theme_legible,moderators,title,points,units,' +
  'remarks,source_notes';

export type ProposalFields = {
  title?: string;
  points?: string[];
  remarks?: string[];
  units?: string[];
  table?: number;
};

const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;

/** A consultation imported through the real importer (the same call the import CLI makes). */
export function importConsultation(app: App, slug: string, title: string, proposals: ProposalFields[]) {
  const lines = [HEADER];
  proposals.forEach((p, i) => {
    lines.push(
      [
        String(i + 1),
        'nie',
        'tak',
        String(p.table ?? 1),
        'Temat testowy',
        'tak',
        'Jan Kowalski – Biuro',
        p.title ?? `propozycja numer ${i + 1}`,
        (p.points ?? []).join('\n'),
        (p.units ?? ['Biuro Dialogu i Innowacji Miejskich']).join('|'),
        (p.remarks ?? []).join('|'),
        '',
      ]
        .map(quote)
        .join(','),
    );
  });
  return importProposals(app.database.db, { slug, title }, parseProposalFile(Buffer.from(lines.join('\n'), 'utf8')));
}
