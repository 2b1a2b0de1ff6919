import { ConfigError, loadConfig } from './config.js';
import { buildServer } from './build.js';
import { isDatabaseEmpty } from './imports/service.js';
import { importTorun2026 } from './imports/seed.js';
import { ensureFirstAdmin } from './auth/bootstrap.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const server = await buildServer(config, { logger: { level: config.logLevel } });

if (isDatabaseEmpty(server.database.db)) {
  const report = importTorun2026(server.database.db);
  server.log.info(`Pusta baza danych: zaimportowano dane z Torunia (${report.created} wierszy).`);
}

const shutdown = async (signal: string) => {
  server.log.info(`${signal}: zamykanie serwera`);
  await server.close();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

const firstAdmin = await ensureFirstAdmin(server.database.db);

await server.listen({ port: config.port, host: config.host });
const lines = [
  '',
  `Serwis działa: ${config.baseUrl}/`,
  `Logowanie dla pracowników: ${config.baseUrl}/login`,
];
if (firstAdmin) {
  lines.push(
    `  Utworzono pierwsze konto administratora (hasło pokazujemy tylko teraz):`,
    `    e-mail: ${firstAdmin.email}`,
    `    hasło:  ${firstAdmin.password}`,
  );
}
lines.push(
  '  Konto utworzysz lub zmienisz hasło poleceniem:',
  '    npm run user:add -- --email ADRES --role admin|unit|reviewer [--unit "nazwa jednostki"] --password-stdin',
  '',
);
process.stdout.write(lines.join('\n'));
