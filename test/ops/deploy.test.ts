import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertUser } from '../../src/admin/accounts.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { importTorun2026 } from '../../src/imports/seed.js';
import { MESSAGES } from '../../src/lib/errors.js';
import { STRICT_TRANSPORT_SECURITY } from '../../src/plugins/security.js';
import { TEST_PASSWORD, TEST_SCRYPT_COST } from '../helpers.js';
import {
  BUILD_TIMEOUT_MS,
  ensureBuilt,
  NODE_FLAGS,
  root,
  type Started,
  startProcess,
  startServer,
  stopAll,
} from '../server-process.js';

/**
 * What deploy/ ships, tried as the city's admin would use it: the systemd units checked by systemd itself,
 * the production .env read by the app's own configuration, and the nginx site really run in front of the
 * built server with TLS.
 */
const deploy = (name: string) => fs.readFileSync(path.join(root, 'deploy', name), 'utf8');

/** `Key=value` lines of a unit's section (a key given twice: its values in order). */
function unitKeys(text: string, section: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let current = '';
  for (const line of text.split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line.trim());
    if (header) current = header[1]!;
    const pair = /^(\w+)=(.*)$/.exec(line.trim());
    if (pair && current === section) keys.set(pair[1]!, [...(keys.get(pair[1]!) ?? []), pair[2]!]);
  }
  return keys;
}

/** The variables of an EnvironmentFile, as systemd reads them (no shell: KEY=value, # comments). */
function environmentFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
}

const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const CI = Boolean(process.env.CI);

describe('deploy/: the systemd units and the production settings', () => {
  const service = unitKeys(deploy('konsultacje.service'), 'Service');
  const env = environmentFile(deploy('konsultacje.env'));

  it('the service runs the build under plain node with npm start’s flags, as its own user, with one state folder', () => {
    expect(service.get('ExecStart')).toEqual([`/usr/bin/node ${NODE_FLAGS.join(' ')} /opt/konsultacje/dist/server.js`]);
    expect(service.get('User')).toEqual(['konsultacje']);
    expect(service.get('Restart')).toEqual(['on-failure']);
    expect(service.get('ProtectSystem')).toEqual(['strict']);
    expect(service.get('StateDirectory')).toEqual(['konsultacje']);
    expect(service.get('EnvironmentFile')).toEqual(['/etc/konsultacje/konsultacje.env']);
    // the files the app writes are all in that folder
    expect(path.dirname(env.DATABASE_URL!)).toBe('/var/lib/konsultacje');
    expect(path.dirname(env.MAIL_DIR!)).toBe('/var/lib/konsultacje');
    const backup = unitKeys(deploy('konsultacje-backup.service'), 'Service');
    expect(backup.get('ExecStart')?.[0]).toMatch(
      /^\/usr\/bin\/node \/opt\/konsultacje\/dist\/cli\/backup\.js \S+ --keep \d+$/,
    );
    expect(backup.get('EnvironmentFile')).toEqual(service.get('EnvironmentFile'));
  });

  it('the production .env is accepted by the app’s configuration as it stands', () => {
    const config = loadConfig(env);
    expect(config).toMatchObject({ host: '127.0.0.1', baseUrl: 'https://konsultacje.miasto.pl', trustProxy: 1 });
    // systemd waits for the server's own shutdown: its grace period and the 5 s after it
    const stopTimeout = Number(/^(\d+)s$/.exec(service.get('TimeoutStopSec')?.[0] ?? '')?.[1]);
    expect(stopTimeout).toBeGreaterThan(config.shutdownGraceSeconds + 5);
  });

  it('systemd finds nothing wrong in the units, and rates the service’s exposure OK or better', (ctx) => {
    if (!has('systemd-analyze')) return ctx.skip('systemd-analyze is not installed here');
    const units = ['konsultacje.service', 'konsultacje-backup.service', 'konsultacje-backup.timer'];
    const verify = spawnSync('systemd-analyze', ['verify', ...units.map((u) => path.join(root, 'deploy', u))], {
      encoding: 'utf8',
    });
    expect(verify.status, verify.stderr).toBe(0);
    // (only the node binary, which systemd checks exists, may be missing on a machine without /usr/bin/node)
    expect(verify.stderr.split('\n').filter((l) => l && !l.includes('/usr/bin/node'))).toEqual([]);
    const security = spawnSync(
      'systemd-analyze',
      ['security', '--offline=yes', '--no-pager', path.join(root, 'deploy/konsultacje.service')],
      { encoding: 'utf8' },
    );
    const level = /Overall exposure level for konsultacje\.service: (\d+\.\d+)/.exec(security.stdout);
    if (!level) return ctx.skip(`this systemd cannot rate a unit file offline: ${security.stderr.trim()}`);
    // systemd calls below 2.0 "OK" (the scale runs from 0, safe, to 10, exposed)
    expect(Number(level[1])).toBeLessThan(2);
  });
});

// ---- nginx in front of the built server -------------------------------------------------------

const HOST_NAME = 'konsultacje.miasto.pl';
const EMAIL = 'admin@torun.test';

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** One request to nginx, as a browser on the client address would make it (TLS checked against our CA). */
function request(
  opts: { port: number; tls: boolean; ca?: string },
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const client = opts.tls ? https : http;
    const req = client.request(
      {
        host: '127.0.0.1',
        port: opts.port,
        method,
        path: url,
        // the client: another loopback address than nginx's own hop to the app, 127.0.0.1
        localAddress: '127.0.0.2',
        servername: HOST_NAME,
        ca: opts.ca,
        headers: {
          host: HOST_NAME,
          ...headers,
          ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A browser's cookie jar over those requests. */
class Browser {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly opts: { port: number; tls: boolean; ca?: string }) {}
  async send(method: string, url: string, form?: Record<string, string>, headers: Record<string, string> = {}) {
    const body = form ? new URLSearchParams({ _csrf: this.csrf, ...form }).toString() : undefined;
    const res = await request(
      this.opts,
      method,
      url,
      {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      body,
    );
    for (const c of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
      const [pair] = c.split(';');
      const [name, ...rest] = pair!.split('=');
      if (/expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name!);
      else this.cookies.set(name!, rest.join('='));
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (token) this.csrf = token[1]!;
    return res;
  }
}

const nginxMissing = !has('nginx') ? 'nginx is not installed (Debian: apt-get install nginx-light)' : null;
const opensslMissing = !has('openssl') ? 'openssl is not installed' : null;
const cannotRun = nginxMissing ?? opensslMissing;
if (cannotRun && CI) throw new Error(`test/ops/deploy: ${cannotRun} – .ci/run installs it`);
if (cannotRun) console.warn(`test/ops/deploy: the nginx tests are skipped – ${cannotRun}`);

describe.skipIf(cannotRun !== null)(
  'deploy/nginx-konsultacje.conf in front of the built server',
  { timeout: 120_000 },
  () => {
    let dir: string;
    let app: Started;
    let nginx: Started;
    let ca: string;
    let httpPort: number;
    let httpsPort: number;
    const tls = () => ({ port: httpsPort, tls: true, ca });

    beforeAll(async () => {
      await ensureBuilt();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-nginx-'));
      // nginx's workers (nobody, when it runs as root) write their buffers in here
      fs.chmodSync(dir, 0o755);
      const database = openDatabase(path.join(dir, 'konsultacje.sqlite'));
      importTorun2026(database.db);
      await upsertUser(
        database.db,
        { email: EMAIL, role: 'admin', unitNames: [], password: TEST_PASSWORD },
        TEST_SCRYPT_COST,
      );
      database.close();
      app = startServer({
        DATABASE_URL: path.join(dir, 'konsultacje.sqlite'),
        PORT: '0',
        LOG_LEVEL: 'info',
        MAIL_WORKER: 'false',
        ...(({ BASE_URL, TRUST_PROXY }) => ({ BASE_URL: BASE_URL!, TRUST_PROXY: TRUST_PROXY! }))(
          environmentFile(deploy('konsultacje.env')),
        ),
      });
      const appPort = await app.port();

      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '2',
          '-subj',
          `/CN=${HOST_NAME}`,
          '-addext',
          `subjectAltName=DNS:${HOST_NAME}`,
          '-keyout',
          path.join(dir, 'key.pem'),
          '-out',
          path.join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      ca = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
      httpPort = await freePort();
      httpsPort = await freePort();
      // the shipped site as it is, but on this machine's free ports, our certificate and the app's port
      const site = deploy('nginx-konsultacje.conf')
        .replace(/^\s*listen \[::\].*$/gm, '')
        .replace(/listen 80;/, `listen 127.0.0.1:${httpPort};`)
        .replace(/listen 443 /, `listen 127.0.0.1:${httpsPort} `)
        .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${appPort};`)
        .replace(/ssl_certificate .*;/, `ssl_certificate ${path.join(dir, 'cert.pem')};`)
        .replace(/ssl_certificate_key .*;/, `ssl_certificate_key ${path.join(dir, 'key.pem')};`);
      fs.writeFileSync(path.join(dir, 'site.conf'), site);
      fs.writeFileSync(
        path.join(dir, 'nginx.conf'),
        [
          'daemon off;',
          'worker_processes 1;',
          `pid ${dir}/nginx.pid;`,
          `error_log ${dir}/error.log warn;`,
          'events { worker_connections 64; }',
          'http {',
          '  access_log off;',
          ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t}_temp;`),
          `  include ${dir}/site.conf;`,
          '}',
        ].join('\n'),
      );
      const test = spawnSync('nginx', ['-t', '-p', dir, '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`], {
        encoding: 'utf8',
      });
      expect(test.status, test.stderr).toBe(0);
      nginx = startProcess('nginx', ['-p', dir, '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`], {
        env: { PATH: process.env.PATH! },
      });
      for (let i = 0; i < 200; i++) {
        try {
          await request(tls(), 'GET', '/healthz');
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }, BUILD_TIMEOUT_MS);

    afterAll(async () => {
      // a graceful quit, waited for: the master ends after its workers (killed at once, it would leave them)
      if (nginx?.child.exitCode === null) {
        nginx.child.kill('SIGQUIT');
        await nginx.exited.catch(() => {});
      }
      await stopAll();
    });

    it('sends plain http to https', async () => {
      const res = await request({ port: httpPort, tls: false }, 'GET', '/proposals/1?x=1');
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe(`https://${HOST_NAME}/proposals/1?x=1`);
    });

    it('signs in over https: Secure __Host- cookies, HSTS once, the staff pages', async () => {
      const browser = new Browser(tls());
      const page = await browser.send('GET', '/login');
      expect(page.status).toBe(200);
      expect(page.headers['strict-transport-security']).toBe(STRICT_TRANSPORT_SECURITY);
      const login = await browser.send('POST', '/login', { email: EMAIL, password: TEST_PASSWORD });
      expect(login.status, login.body.slice(0, 300)).toBe(303);
      const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
      expect(cookies.find((c) => c.startsWith('__Host-sid='))).toMatch(/; Secure/i);
      const staff = await browser.send('GET', '/staff');
      expect(staff.status).toBe(200);
      expect(staff.body).toContain(EMAIL);
    });

    it('tells the app the client’s address, whatever X-Forwarded-For the client sends', async () => {
      const browser = new Browser(tls());
      await browser.send('GET', '/login');
      const failed = await browser.send(
        'POST',
        '/login',
        { email: EMAIL, password: 'zle-haslo' },
        { 'x-forwarded-for': '203.0.113.9' },
      );
      expect(failed.status).toBe(422);
      // the log line may reach the pipe after the answer: whole lines only, once there is one
      const logged = () =>
        app
          .output()
          .stdout.split('\n')
          .slice(0, -1)
          .filter((l) => l.includes('"failed login"'))
          .map((l) => JSON.parse(l) as { ip: string });
      for (let i = 0; i < 100 && logged().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(logged().at(-1)?.ip).toBe('127.0.0.2');
    });

    it('refuses a huge body itself and lets the app answer a large one in Polish', async () => {
      const huge = await request(
        tls(),
        'POST',
        '/login',
        { 'content-type': 'application/x-www-form-urlencoded' },
        Buffer.alloc(2 << 20, 0x61),
      );
      expect(huge.status).toBe(413);
      expect(huge.body).toContain('nginx');
      const large = await request(
        tls(),
        'POST',
        '/login',
        { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        `email=${'a'.repeat(300_000)}`,
      );
      expect(large.status).toBe(413);
      expect(large.body).toContain(MESSAGES.payloadTooLarge);
    });

    it('passes /healthz through, naming the running version', async () => {
      const res = await request(tls(), 'GET', '/healthz');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    });
  },
);
