import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration from the environment', () => {
  it('has defaults for a newcomer', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databasePath: 'data/db/konsultacje.sqlite',
      baseUrl: 'http://127.0.0.1:3000',
    });
  });

  it('honours PORT, HOST, DATABASE_URL and BASE_URL', () => {
    const c = loadConfig({
      PORT: '8081',
      HOST: '0.0.0.0',
      DATABASE_URL: 'file:/tmp/x.sqlite',
      BASE_URL: 'https://konsultacje.torun.pl/',
      TRUST_PROXY: '1',
    });
    expect(c).toMatchObject({
      port: 8081,
      host: '0.0.0.0',
      databasePath: '/tmp/x.sqlite',
      baseUrl: 'https://konsultacje.torun.pl',
    });
  });

  it('stops on a bad value with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow('PORT: musi być numerem portu (0–65535) (wartość: "abc")');
    expect(() => loadConfig({ BASE_URL: 'nie-adres' })).toThrow(/BASE_URL/);
    expect(() => loadConfig({ SESSION_SECRET: 'krotki' })).toThrow(/SESSION_SECRET/);
  });

  it('reads SESSION_ABSOLUTE_HOURS (default 12) and refuses nonsense', () => {
    expect(loadConfig({}).sessionAbsoluteHours).toBe(12);
    expect(loadConfig({ SESSION_ABSOLUTE_HOURS: '8' }).sessionAbsoluteHours).toBe(8);
    expect(() => loadConfig({ SESSION_ABSOLUTE_HOURS: '0' })).toThrow(/SESSION_ABSOLUTE_HOURS: od 1 do 720 godzin/);
  });

  it('reads the mail lease, the per-mail SMTP deadline and the shutdown grace, and refuses nonsense', () => {
    expect(loadConfig({}).mail).toMatchObject({ leaseSeconds: 120, sendTimeoutSeconds: 30 });
    expect(loadConfig({}).shutdownGraceSeconds).toBe(10);
    const c = loadConfig({ MAIL_LEASE_SECONDS: '30', MAIL_SEND_TIMEOUT_SECONDS: '5', SHUTDOWN_GRACE_SECONDS: '0' });
    expect(c.mail).toMatchObject({ leaseSeconds: 30, sendTimeoutSeconds: 5 });
    expect(c.shutdownGraceSeconds).toBe(0);
    expect(() => loadConfig({ MAIL_LEASE_SECONDS: '0' })).toThrow(/MAIL_LEASE_SECONDS: od 1 do 3600/);
    expect(() => loadConfig({ MAIL_SEND_TIMEOUT_SECONDS: 'długo' })).toThrow(/MAIL_SEND_TIMEOUT_SECONDS: musi być/);
    expect(() => loadConfig({ SHUTDOWN_GRACE_SECONDS: '61' })).toThrow(/SHUTDOWN_GRACE_SECONDS: od 0 do 60/);
  });

  it('reads TRUST_PROXY as false, a hop count or proxy addresses and subnets', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5, 192.168.10.0/24,::1,loopback' }).trustProxy).toEqual([
      '10.0.0.5',
      '192.168.10.0/24',
      '::1',
      'loopback',
    ]);
    for (const bad of ['maybe', '10.0.0.300', '10.0.0.0/33', '99', 'proxy.torun.pl']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY: oczekiwano false, liczby/);
    }
  });

  it('refuses TRUST_PROXY=true, which would believe any X-Forwarded-For the client sends, and says what to give', () => {
    for (const value of ['true', 'TRUE', ' yes ']) {
      let message = '';
      try {
        loadConfig({ TRUST_PROXY: value });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        message = (err as Error).message;
      }
      expect(message, value).toContain('TRUST_PROXY: wartość true nie jest dozwolona');
      expect(message).toContain('X-Forwarded-For');
      expect(message).toContain('Podaj liczbę pośredników przed serwisem (TRUST_PROXY=1');
      expect(message).toContain('albo adresy pośredników (np. TRUST_PROXY=10.0.0.5 lub 10.0.0.0/24)');
    }
  });

  it('refuses a BASE_URL with a sub-path, a query or a fragment, saying what to give instead', () => {
    expect(() => loadConfig({ BASE_URL: 'http://torun.pl/konsultacje/' })).toThrow(
      'BASE_URL: adres z podścieżką („/konsultacje”) nie jest obsługiwany: serwis musi mieć własną nazwę hosta ' +
        '(np. https://konsultacje.torun.pl)',
    );
    expect(() => loadConfig({ BASE_URL: 'http://konsultacje.torun.pl/?x=1' })).toThrow(
      'BASE_URL: bez „?…” i „#…”: sam adres serwisu, np. http://konsultacje.torun.pl',
    );
    expect(loadConfig({ BASE_URL: 'http://konsultacje.torun.pl/' }).baseUrl).toBe('http://konsultacje.torun.pl');
  });

  it('refuses an https BASE_URL without TRUST_PROXY: behind a TLS proxy logins would fail silently', () => {
    expect(() => loadConfig({ BASE_URL: 'https://konsultacje.torun.pl' })).toThrow(
      /BASE_URL: adres https:\/\/ oznacza serwer pośredniczący z TLS przed serwisem .* Ustaw TRUST_PROXY=1/,
    );
    expect(loadConfig({ BASE_URL: 'https://konsultacje.torun.pl', TRUST_PROXY: '127.0.0.1' }).trustProxy).toEqual([
      '127.0.0.1',
    ]);
  });
});
