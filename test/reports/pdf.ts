import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeXml } from './fixtures.js';

/**
 * Reading PDFs back with poppler-utils (pdfinfo, pdftotext, pdftohtml), and converting office files with
 * LibreOffice headless – Debian's packages, installed by .ci/run. Without them the tests that need them are
 * skipped locally and fail under CI, as the browser tests do without Chromium.
 */
const run = promisify(execFile);

export const SOFFICE = '/usr/bin/soffice';
const POPPLER = ['/usr/bin/pdfinfo', '/usr/bin/pdftotext', '/usr/bin/pdftohtml', '/usr/bin/pdffonts'];

export const hasPoppler = POPPLER.every((p) => fs.existsSync(p));
export const hasLibreOffice = fs.existsSync(SOFFICE);
export const skipPdfTests = !hasPoppler && !process.env.CI;
export const skipOfficeTests = !(hasLibreOffice && hasPoppler) && !process.env.CI;

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Converts files with one LibreOffice run (its start-up is the slow part: convert everything a test file needs at
 * once). `filter` is LibreOffice's target, e.g. "pdf" or "xlsx:Calc MS Excel 2007 XML" (one argument, no shell: no quotes). Returns the paths of the
 * converted files, in the order given.
 */
export async function convertWithLibreOffice(files: string[], filter: string, outDir: string): Promise<string[]> {
  if (!hasLibreOffice)
    throw new Error(`LibreOffice not found at ${SOFFICE}: apt-get install libreoffice-calc libreoffice-writer`);
  // a profile of its own: a LibreOffice the developer has open, or another test run, does not take the conversion
  const profile = tempDir('lo-profile-');
  try {
    await run(
      SOFFICE,
      [
        '--headless',
        '--norestore',
        `-env:UserInstallation=file://${profile}`,
        '--convert-to',
        filter,
        '--outdir',
        outDir,
        ...files,
      ],
      { timeout: 180_000 },
    );
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const ext = filter.split(':')[0]!;
  return files.map((f) => {
    const out = path.join(outDir, `${path.basename(f, path.extname(f))}.${ext}`);
    if (!fs.existsSync(out)) throw new Error(`LibreOffice did not write ${out}`);
    return out;
  });
}

async function pdfTool(tool: string, args: string[]): Promise<string> {
  const { stdout } = await run(`/usr/bin/${tool}`, args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export type PdfInfo = { pages: number; width: number; height: number };

export async function pdfInfo(file: string): Promise<PdfInfo> {
  const out = await pdfTool('pdfinfo', [file]);
  const size = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(out)!;
  return { pages: Number(/Pages:\s+(\d+)/.exec(out)![1]), width: Number(size[1]), height: Number(size[2]) };
}

/** The text of the whole file, or of one page (1-based), in reading order. */
export async function pdfText(file: string, page?: number): Promise<string> {
  const range = page ? ['-f', String(page), '-l', String(page)] : [];
  return pdfTool('pdftotext', [...range, file, '-']);
}

/** The names of the fonts the file uses (without the subset prefix). */
export async function pdfFonts(file: string): Promise<string[]> {
  const out = await pdfTool('pdffonts', [file]);
  return out
    .split('\n')
    .slice(2)
    .filter(Boolean)
    .map((line) => line.split(/\s+/)[0]!.replace(/^[A-Z]{6}\+/, ''));
}

export type PdfWord = { page: number; text: string; xMin: number; yMin: number; xMax: number; yMax: number };

/** Every word with its box (points from the page's top left) and its page. */
export async function pdfWords(file: string): Promise<PdfWord[]> {
  const xml = await pdfTool('pdftotext', ['-bbox', file, '-']);
  const words: PdfWord[] = [];
  let page = 0;
  for (const m of xml.matchAll(
    /<page [^>]*>|<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g,
  )) {
    if (m[0].startsWith('<page')) {
      page++;
      continue;
    }
    words.push({
      page,
      text: decodeXml(m[5]!),
      xMin: Number(m[1]),
      yMin: Number(m[2]),
      xMax: Number(m[3]),
      yMax: Number(m[4]),
    });
  }
  return words;
}

export type OutlineItem = { title: string; page: number; children: OutlineItem[] };

/** The PDF's bookmarks (its outline), nested. */
export async function pdfOutline(file: string): Promise<OutlineItem[]> {
  const xml = await pdfTool('pdftohtml', ['-xml', '-i', '-stdout', '-q', file]);
  const root: OutlineItem[] = [];
  // the list items go into; a nested <outline> follows the item it belongs to
  let current: OutlineItem[] | null = null;
  const stack: (OutlineItem[] | null)[] = [];
  for (const m of xml.matchAll(/<outline>|<\/outline>|<item page="(\d+)">([^<]*)<\/item>/g)) {
    if (m[0] === '<outline>') {
      stack.push(current);
      current = current === null ? root : (current.at(-1)?.children ?? current);
    } else if (m[0] === '</outline>') {
      current = stack.pop() ?? null;
    } else {
      current?.push({ title: decodeXml(m[2]!), page: Number(m[1]), children: [] });
    }
  }
  return root;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
