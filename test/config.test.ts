import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration from the environment', () => {
  it('has defaults for a newcomer', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, host: '127.0.0.1', databasePath: 'data/db/konsultacje.sqlite', baseUrl: 'http://127.0.0.1:3000' });
  });

  it('honours PORT, HOST, DATABASE_URL and BASE_URL', () => {
    const c = loadConfig({ PORT: '8081', HOST: '0.0.0.0', DATABASE_URL: 'file:/tmp/x.sqlite', BASE_URL: 'https://konsultacje.torun.pl/' });
    expect(c).toMatchObject({ port: 8081, host: '0.0.0.0', databasePath: '/tmp/x.sqlite', baseUrl: 'https://konsultacje.torun.pl' });
  });

  it('stops on a bad value with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow('PORT: musi być numerem portu (0–65535) (wartość: "abc")');
    expect(() => loadConfig({ BASE_URL: 'nie-adres' })).toThrow(/BASE_URL/);
    expect(() => loadConfig({ SESSION_SECRET: 'krotki' })).toThrow(/SESSION_SECRET/);
  });
});
