/**
 * A second process writing to the same database: adds N internal notes to one proposal through the one write
 * path (changeProposal), each in its own transaction, and prints how many succeeded. Used by concurrency.test.ts.
 */
import { openDatabase } from '../../src/db/client.js';
import { addNote } from '../../src/triage/service.js';

const [file, proposalId, count, label] = process.argv.slice(2);
const database = openDatabase(file!);
let ok = 0;
const failures: string[] = [];
for (let i = 0; i < Number(count); i++) {
  try {
    addNote(database.db, Number(proposalId), `${label} ${i}`, null as unknown as number);
    ok++;
  } catch (err) {
    failures.push((err as { code?: string }).code ?? String(err));
  }
}
database.close();
process.stdout.write(JSON.stringify({ ok, failures }));
