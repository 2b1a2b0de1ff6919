import { ConfigError, loadConfig, type Config } from './config.js';
import { buildServer } from './build.js';
import { isDatabaseEmpty } from './imports/service.js';
import { importTorun2026 } from './imports/seed.js';
import { ensureFirstAdmin } from './auth/bootstrap.js';
import { startupFailureMessage } from './lib/errors.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

/**
 * A start-up failure (read-only or unreadable database file, unwritable data folder, full disk, port in
 * use) is one Polish line naming the cause, and exit code 1: the operator reads it, not a stack trace.
 */
async function start(cfg: Config) {
  let server: Awaited<ReturnType<typeof buildServer>> | undefined;
  try {
    server = await buildServer(cfg, { logger: { level: cfg.logLevel } });
    if (isDatabaseEmpty(server.database.db)) {
      const report = importTorun2026(server.database.db);
      server.log.info(`Pusta baza danych: zaimportowano dane z Torunia (${report.created} wierszy).`);
    }
    const firstAdmin = await ensureFirstAdmin(server.database.db);
    await server.listen({ port: cfg.port, host: cfg.host });
    return { server, firstAdmin };
  } catch (err) {
    process.stderr.write(`${startupFailureMessage(err, cfg)}\n`);
    try {
      await server?.close();
    } catch {
      // already failing: the line above is what matters
    }
    process.exit(1);
  }
}

const { server, firstAdmin } = await start(config);

/** Past the grace period, what still holds the process (a hook that never returns) gets this long. */
const LAST_RESORT_MS = 5000;

/**
 * Closing stops claiming mail (the mail plugin's preClose), then stops accepting connections; requests on kept-alive
 * ones are answered 503. What is in flight – requests, mail on its way – gets SHUTDOWN_GRACE_SECONDS to finish;
 * connections still open then (a request sent halfway, a client that stopped reading an export) are closed, and
 * the mail still on its way is given back to be sent again.
 */
const shutdown = async (signal: string) => {
  server.log.info(`${signal}: zamykanie serwera`);
  const graceMs = config.shutdownGraceSeconds * 1000;
  const cut = setTimeout(() => {
    server.log.warn(`${signal}: po ${config.shutdownGraceSeconds} s zamykam połączenia, które jeszcze trwają`);
    server.server.closeAllConnections();
  }, graceMs);
  setTimeout(() => {
    process.stderr.write(`Serwer nie zakończył pracy w ${(graceMs + LAST_RESORT_MS) / 1000} s od ${signal}: koniec.\n`);
    process.exit(1);
  }, graceMs + LAST_RESORT_MS).unref();
  try {
    await server.close();
  } catch (err) {
    server.log.error({ err }, `${signal}: błąd przy zamykaniu`);
    process.exit(1);
  }
  clearTimeout(cut);
  process.exit(0);
};
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

const lines = ['', `Serwis działa: ${config.baseUrl}/`, `Logowanie dla pracowników: ${config.baseUrl}/login`];
if (firstAdmin) {
  lines.push(
    `  Utworzono pierwsze konto administratora (hasło pokazujemy tylko teraz; po zalogowaniu ustalisz własne):`,
    `    e-mail: ${firstAdmin.email}`,
    `    hasło:  ${firstAdmin.password}`,
  );
}
lines.push(
  '  Konto utworzysz (bez hasła: osoba dostanie e-mailem zaproszenie) lub nadasz mu hasło poleceniem:',
  '    npm run user:add -- --email ADRES --role admin|unit|reviewer [--unit "nazwa jednostki"] [--password-stdin]',
  '',
);
process.stdout.write(lines.join('\n'));
