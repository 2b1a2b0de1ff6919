import type { Db } from '../db/client.js';
import { consultationReports } from '../db/schema/index.js';
import { bumpDataVersion } from '../db/version.js';
import { findConsultation } from '../proposals/queries.js';
import { NotFoundError } from '../workflow/errors.js';
import { getReportHeader, lastChangeAt, listOpinions, listReportProposals, listTables } from './queries.js';
import { buildReport, type Report } from './report.js';
import type { ReportHeaderInput } from './schema.js';

export const NO_SUCH_CONSULTATION = 'Nie ma takich konsultacji. Sprawdź adres albo wróć do listy propozycji.';

/** The consultation with this slug, or the current one; NotFoundError when there is none. */
export function reportConsultation(db: Db, slug?: string) {
  const consultation = findConsultation(db, slug);
  if (!consultation) throw new NotFoundError(NO_SUCH_CONSULTATION);
  return consultation;
}

/** Everything the report shows, read in one snapshot (a read transaction) so the rows and counts agree. */
export function loadReport(
  db: Db,
  consultation: { id: number; slug: string; title: string },
  now = new Date(),
): Report {
  return db.transaction(() => {
    const header = getReportHeader(db, consultation.id);
    return buildReport({
      consultation: { slug: consultation.slug, title: consultation.title },
      header,
      opinions: listOpinions(db, consultation.id),
      tables: listTables(db, consultation.id),
      proposals: listReportProposals(db, consultation.id),
      lastChangeAt: lastChangeAt(db, consultation.id),
      now,
    });
  });
}

/** Saves the report header of a consultation (the public report shows it: the data version moves). */
export function saveReportHeader(
  db: Db,
  consultationId: number,
  input: ReportHeaderInput,
  actorId: number,
  now = new Date(),
) {
  db.transaction(
    (tx) => {
      const { formOfConsultation, ...rest } = input;
      const values = { ...rest, form: formOfConsultation, updatedAt: now.toISOString(), updatedBy: actorId };
      tx.insert(consultationReports)
        .values({ consultationId, ...values })
        .onConflictDoUpdate({ target: consultationReports.consultationId, set: values })
        .run();
      bumpDataVersion(tx);
    },
    { behavior: 'immediate' },
  );
}
