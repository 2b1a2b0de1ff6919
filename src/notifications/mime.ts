/**
 * The MIME text of an outgoing mail (multipart/alternative: text and HTML, UTF-8, quoted-printable), built here
 * rather than by nodemailer's composer. The composer streams every header and every encoded line as its own chunk
 * through a chain of transforms; at 10,000 mails it was most of the cost of sending. Here a mail is one string,
 * and a body line already encoded (the same decision text goes to every follower) is taken from a cache.
 * nodemailer still does the SMTP part (pool, envelope, dot-stuffing) with the result as `raw`.
 */
import { randomBytes } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import { encodeWords, foldLines, isPlainText, quoteString } from 'nodemailer/lib/mime-funcs';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import type { OutgoingMail } from '../plugins/mail.js';

/** Caches that never grow past this many entries (cleared when full: they refill from the next mails). */
const CACHE_LIMIT = 5_000;

function cached(cache: Map<string, string>, key: string, make: (key: string) => string): string {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    value = make(key);
    cache.set(key, value);
  }
  return value;
}

const encodedLines = new Map<string, string>();
const encodedTexts = new Map<string, string>();
const encodedAddresses = new Map<string, string | null>();

/** One line of a body (no line break in it) as quoted-printable, soft-wrapped at 76 characters. */
function encodeLine(line: string): string {
  return cached(encodedLines, line, (l) => qpWrap(qpEncode(l), 76));
}

/** A body as quoted-printable with CRLF line breaks. Quoted-printable is line-local, so lines encode alone. */
export function quotedPrintable(body: string): string {
  const normal = body.includes('\r') ? body.replace(/\r\n?/g, '\n') : body;
  return normal.split('\n').map(encodeLine).join('\r\n');
}

const ASCII_ADDRESS = /^[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+$/;

/** An unstructured header value (Subject, List-…): as it is when plain ASCII, otherwise RFC 2047 words. */
function encodeText(value: string): string {
  return cached(encodedTexts, value, (v) => {
    const flat = v.replace(/[\r\n]+/g, ' ');
    return isPlainText(flat) ? flat : encodeWords(flat, 'Q', 52);
  });
}

/**
 * An address header ("Name <local@domain>" or a bare address), the name encoded as nodemailer would. Null when an
 * address itself is not plain ASCII (an internationalised address): such a mail goes through nodemailer's composer.
 */
function encodeAddresses(value: string): string | null {
  if (ASCII_ADDRESS.test(value)) return value;
  let out = encodedAddresses.get(value);
  if (out !== undefined) return out;
  const parts: string[] = [];
  for (const a of addressparser(value.replace(/[\r\n]+/g, ' '), { flatten: true })) {
    if (!a.address || !ASCII_ADDRESS.test(a.address)) {
      parts.length = 0;
      break;
    }
    const name = a.name.trim();
    if (!name) parts.push(a.address);
    else if (!isPlainText(name)) parts.push(`${encodeWords(name, 'Q', 52)} <${a.address}>`);
    else parts.push(`${/^[\w ]*$/.test(name) ? name : quoteString(name)} <${a.address}>`);
  }
  out = parts.length ? parts.join(', ') : null;
  if (encodedAddresses.size >= CACHE_LIMIT) encodedAddresses.clear();
  encodedAddresses.set(value, out);
  return out;
}

const envelopeAddresses = new Map<string, string>();
/** The bare address of "Name <local@domain>" (the SMTP envelope sender; the same for every mail). */
export function envelopeAddress(value: string): string {
  return cached(envelopeAddresses, value, (v) => addressparser(v, { flatten: true })[0]?.address ?? v);
}

let lastSecond = -1;
let lastDate = '';
/** RFC 5322 date of the current second ("Thu, 26 Nov 2026 15:11:50 +0000"), formatted once a second. */
function dateHeader(nowMs: number): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastDate = new Date(second * 1000).toUTCString().replace(/GMT$/, '+0000');
  }
  return lastDate;
}

// "=_" cannot occur in quoted-printable text (a literal "=" is written "=3D"), so no body line can be a boundary
const boundaryPrefix = `=_konsultacje_${randomBytes(6).toString('hex')}_`;
let boundaryCount = 0;

const header = (name: string, value: string) => foldLines(`${name}: ${value}`, 76);

/**
 * The whole message as text with CRLF line breaks, or null when an address needs what only nodemailer's composer
 * does (non-ASCII addresses). Every header the composer would write is here: From, Reply-To, To, Subject,
 * Message-ID, In-Reply-To, References, Date, MIME-Version and the mail's own headers.
 */
export function buildMime(mail: OutgoingMail, nowMs = Date.now()): string | null {
  const from = encodeAddresses(mail.from);
  const to = encodeAddresses(mail.to);
  const replyTo = mail.replyTo ? encodeAddresses(mail.replyTo) : undefined;
  if (from === null || to === null || replyTo === null) return null;
  const boundary = `${boundaryPrefix}${(boundaryCount++).toString(36)}`;
  const lines = [header('Content-Type', `multipart/alternative; boundary="${boundary}"`), header('From', from)];
  if (replyTo) lines.push(header('Reply-To', replyTo));
  lines.push(header('To', to), header('Subject', encodeText(mail.subject)), `Message-ID: ${mail.messageId}`);
  if (mail.inReplyTo) lines.push(`In-Reply-To: ${mail.inReplyTo}`);
  if (mail.references) lines.push(`References: ${mail.references}`);
  lines.push(`Date: ${dateHeader(nowMs)}`, 'MIME-Version: 1.0');
  for (const [name, value] of Object.entries(mail.headers)) lines.push(header(name, encodeText(value)));
  const part = (type: string, body: string) =>
    `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\n` +
    `Content-Transfer-Encoding: quoted-printable\r\n\r\n${quotedPrintable(body)}\r\n`;
  return `${lines.join('\r\n')}\r\n\r\n${part('text/plain', mail.text)}${part('text/html', mail.html)}--${boundary}--\r\n`;
}
