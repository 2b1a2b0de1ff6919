import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { buildMime, quotedPrintable } from '../../src/notifications/mime.js';
import type { OutgoingMail } from '../../src/plugins/mail.js';

const longLine =
  'Propozycję uwzględniono: w programie współpracy zapisano udostępnienie NGO pięciu lokali miejskich ' +
  'na Rubinkowie i Skarpie, z wykazem publikowanym co kwartał – „cytat” & <znaczniki> = równość.';
const text =
  `Decyzja: uwzględniona\n\n${longLine}\n.kropka na początku wiersza\nspacja na końcu \n` +
  'Zarządzaj: https://konsultacje.torun.test/subscriptions/manage?token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd\n';
const html =
  `<!doctype html>\n<p>${longLine.replace('&', '&amp;').replace('<znaczniki>', '&lt;znaczniki&gt;')}</p>\n` +
  `<p style="font-size: 14px; color: #444;">${'Długi akapit bez łamania wiersza. '.repeat(40)}</p>\n`;

const mail: OutgoingMail = {
  from: 'Konsultacje Toruń <konsultacje@torun.test>',
  to: 'ngo1@organizacja.pl',
  replyTo: 'Biuro Dialogu (BDIM) <bdim@torun.test>',
  subject: 'Propozycja LP 7: decyzja – uwzględniona, z bardzo długim tytułem, który trzeba złamać w nagłówku',
  text,
  html,
  messageId: '<0123456789abcdef01234567@torun.test>',
  inReplyTo: '<proposal-7@torun.test>',
  references: '<proposal-7@torun.test>',
  headers: {
    'Auto-Submitted': 'auto-generated',
    'List-Id': '<konsultacje.torun-2026.torun.test>',
    'List-Unsubscribe':
      '<https://konsultacje.torun.test/subscriptions/unsubscribe?token=AbCdEfGhIjKlMnOpQrStUvWxYz01>, ' +
      '<mailto:konsultacje@torun.test?subject=wypisz%20AbCdEfGhIjKlMnOpQrStUvWxYz01>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
};

/** What nodemailer's own composer makes of the same mail: the reference buildMime must read the same as. */
async function composedByNodemailer(m: OutgoingMail): Promise<string> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const info = await transport.sendMail(m);
  return (info.message as Buffer).toString('utf8');
}

describe('buildMime', () => {
  it("reads back, in a mail parser, exactly as nodemailer's composer output does", async () => {
    const raw = buildMime(mail)!;
    const ours = await simpleParser(raw);
    const theirs = await simpleParser(await composedByNodemailer(mail));
    expect(ours.subject).toBe(mail.subject);
    expect(ours.from?.text).toBe(theirs.from?.text);
    expect(ours.from?.value).toEqual([{ name: 'Konsultacje Toruń', address: 'konsultacje@torun.test' }]);
    expect(ours.replyTo?.value).toEqual(theirs.replyTo?.value);
    expect(ours.to).toEqual(theirs.to);
    expect(ours.messageId).toBe(theirs.messageId);
    expect(ours.inReplyTo).toBe(theirs.inReplyTo);
    expect(ours.references).toEqual(theirs.references);
    expect(ours.text).toBe(theirs.text);
    expect(ours.text).toBe(text);
    expect(ours.html).toBe(theirs.html);
    expect(ours.date).toBeInstanceOf(Date);
    for (const name of ['auto-submitted', 'list-unsubscribe-post']) {
      expect(ours.headers.get(name)).toEqual(theirs.headers.get(name));
    }
    expect(ours.headers.get('list-unsubscribe')).toEqual(theirs.headers.get('list-unsubscribe'));
    expect(ours.headers.get('list-id')).toEqual(theirs.headers.get('list-id'));
  });

  it('is ASCII only with CRLF line breaks; body lines within 76 characters, headers folded at spaces', () => {
    const raw = buildMime(mail)!;
    expect(raw).toMatch(/^[\x20-\x7e\r\n\t]*$/);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const [head, ...body] = raw.split('\r\n\r\n');
    for (const line of body.join('\r\n\r\n').split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    // a header line is longer than 76 only where it has no space to fold at (a long URL)
    for (const line of head!.split('\r\n')) {
      if (line.length > 76) expect(line.trim()).not.toMatch(/ /);
    }
  });

  it('gives each mail its own boundary, which no encoded body line can match', () => {
    const a = buildMime(mail)!;
    const b = buildMime(mail)!;
    const boundary = (raw: string) => /boundary="([^"]+)"/.exec(raw)![1]!;
    expect(boundary(a)).not.toBe(boundary(b));
    expect(boundary(a).startsWith('=_')).toBe(true);
    expect(quotedPrintable('=_ i =_konsultacje')).not.toContain('=_');
  });

  it('quoted-printable: trailing spaces encoded, long lines soft-wrapped, the same line the same every time', () => {
    expect(quotedPrintable('koniec ')).toBe('koniec=20');
    expect(quotedPrintable('ą')).toBe('=C4=85');
    const wrapped = quotedPrintable('ż'.repeat(60));
    expect(wrapped.split('\r\n').every((l) => l.length <= 76)).toBe(true);
    expect(wrapped.replace(/=\r\n/g, '')).toBe('=C5=BC'.repeat(60));
    expect(quotedPrintable('a\r\nb\nc')).toBe('a\r\nb\r\nc');
  });

  it("leaves a non-ASCII address to nodemailer's composer", () => {
    expect(buildMime({ ...mail, to: 'józef@przykład.pl' })).toBeNull();
    expect(buildMime({ ...mail, to: 'jozef@organizacja.pl' })).not.toBeNull();
  });

  it('a new line in a header value cannot start a header of its own', async () => {
    const raw = buildMime({ ...mail, subject: 'Tytuł\r\nBcc: ktos@example.com' })!;
    const parsed = await simpleParser(raw);
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.subject).toBe('Tytuł Bcc: ktos@example.com');
  });
});
