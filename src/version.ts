import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The running code's version (package.json, semantic versioning; CHANGELOG.md says what each one changed).
 * Read from the app folder's package.json, beside src/ and dist/ alike.
 */
export const APP_VERSION: string = (
  JSON.parse(
    fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../package.json'), 'utf8'),
  ) as { version: string }
).version;
