import { type Config, ConfigError, loadConfig } from '../config.js';

/** Prints the message (Polish, for the operator) and exits: 1 refused or failed, 2 wrong usage. */
export function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** The configuration, or exit code 2 with the message naming the bad variable. */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
}
