import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db/client.js';
import { parseProposalFile, parseUnitFile } from './format.js';
import { importProposals, type ImportReport } from './service.js';

const dataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data');

export const DEFAULT_UNITS_FILE = path.join(dataDir, 'units.csv');
export const TORUN_2026 = {
  file: path.join(dataDir, 'torun-2026.csv'),
  slug: 'torun-2026',
  title: 'Program współpracy Gminy Miasta Toruń z organizacjami pozarządowymi na 2026 rok – spotkanie konsultacyjne',
};

/**
 * Imports the shipped Toruń dataset (with the unit directory and the members of its unit groups, seeded only into
 * groups that have none yet). `groupMembers: false` leaves the groups empty, as they were before the directory
 * named members (tests written against empty groups ask for that).
 */
export function importTorun2026(db: Db, opts: { groupMembers?: boolean } = {}): ImportReport {
  const parsed = parseUnitFile(fs.readFileSync(DEFAULT_UNITS_FILE));
  const unitRows = (opts.groupMembers ?? true) ? parsed : parsed.map((r) => ({ ...r, members: [] }));
  const rows = parseProposalFile(fs.readFileSync(TORUN_2026.file));
  return importProposals(db, { slug: TORUN_2026.slug, title: TORUN_2026.title }, rows, unitRows);
}
