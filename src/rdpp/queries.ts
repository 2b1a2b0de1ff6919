import { desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { consultations, rdppOpinions } from '../db/schema/index.js';

/** The RDPP's opinions on a consultation, the latest first (the report reads the same table). */
export function listOpinions(db: DbOrTx, consultationId: number) {
  return db
    .select()
    .from(rdppOpinions)
    .where(eq(rdppOpinions.consultationId, consultationId))
    .orderBy(desc(rdppOpinions.date), desc(rdppOpinions.id))
    .all();
}

export function consultationById(db: DbOrTx, id: number) {
  return db.select().from(consultations).where(eq(consultations.id, id)).get();
}
