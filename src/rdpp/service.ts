import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { consultations, rdppOpinions } from '../db/schema/index.js';
import { bumpDataVersion } from '../db/version.js';
import { NotFoundError, RuleError } from '../workflow/errors.js';
import type { OpinionForm } from './schema.js';

/**
 * Records the RDPP's opinion on a consultation (the office types it in from the RDPP's resolution).
 * Public pages (the report) show it, so the data version moves with it.
 */
export function recordOpinion(db: Db, input: OpinionForm, actorId: number, today: string, now = new Date()): number {
  if (input.date > today) throw new RuleError('date', 'Data opinii nie może być późniejsza niż dzisiejsza.');
  return db.transaction(
    (tx) => {
      const consultation = tx.select().from(consultations).where(eq(consultations.id, input.consultationId)).get();
      if (!consultation) throw new NotFoundError('Nie ma takich konsultacji.');
      const row = tx
        .insert(rdppOpinions)
        .values({
          consultationId: consultation.id,
          date: input.date,
          text: input.text,
          attachmentName: input.attachmentName,
          createdAt: now.toISOString(),
          createdBy: actorId,
        })
        .returning({ id: rdppOpinions.id })
        .get();
      bumpDataVersion(tx);
      return row.id;
    },
    { behavior: 'immediate' },
  );
}
