import { todayInWarsaw } from '../../src/lib/dates.js';
import type { Agent, App } from '../helpers.js';
import { unitIdByName } from '../helpers.js';

export const BDIM = 'Biuro Dialogu i Innowacji Miejskich';
export const ZGM = 'Zakład Gospodarki Mieszkaniowej';

/** A subscription written straight into the database (the follow pages belong to another part). */
export function subscribe(
  app: App,
  email: string,
  scope: { kind: string; id: number },
  opts: {
    state?: 'pending' | 'confirmed';
    frequency?: 'immediate' | 'daily';
  } = {},
): number {
  const now = new Date().toISOString();
  const state = opts.state ?? 'confirmed';
  const row = app.database.sqlite
    .prepare(`INSERT INTO subscriptions
      (email, scope_kind, scope_id, frequency, state, clause_version, requested_at, confirmed_at)
    VALUES (?, ?, ?, ?, ?, 'test-clause', ?, ?) RETURNING id`)
    .get(
      email,
      scope.kind,
      scope.id,
      opts.frequency ?? 'immediate',
      state,
      now,
      state === 'confirmed' ? now : null,
    ) as { id: number };
  return row.id;
}

export const inDays = (n: number) => todayInWarsaw(new Date(Date.now() + n * 86_400_000));
export const versionIn = (html: string) => Number(/name="version" value="(\d+)"/.exec(html)![1]);
const positionVersionIn = (html: string, unit: number) =>
  Number(
    new RegExp(`name="unitId" value="${unit}">\\s*<input type="hidden" name="positionVersion" value="(\\d+)"`).exec(
      html,
    )![1],
  );

/** Through the staff routes: assign to BDIM (lead) and ZGM. */
export async function assign(app: App, admin: Agent, proposalId: number) {
  const page = await admin.get(`/staff/proposals/${proposalId}`);
  const res = await admin.post(`/proposals/${proposalId}/assignments`, {
    version: versionIn(page.body),
    unitIds: [String(unitIdByName(app, BDIM)), String(unitIdByName(app, ZGM))],
    leadUnitId: String(unitIdByName(app, BDIM)),
    dueDate: inDays(14),
  });
  if (res.statusCode !== 303) throw new Error(`assign failed: ${res.statusCode}`);
}

export async function submitPosition(
  app: App,
  agent: Agent,
  proposalId: number,
  unit: string,
  action: 'draft' | 'submit',
  outcome: string,
  text: string,
) {
  const unitId = unitIdByName(app, unit);
  const page = await agent.get(`/staff/proposals/${proposalId}`);
  const res = await agent.post(`/proposals/${proposalId}/positions`, {
    unitId,
    positionVersion: positionVersionIn(page.body, unitId),
    action,
    outcome,
    justification: text,
  });
  if (res.statusCode !== 303) throw new Error(`position failed: ${res.statusCode}`);
}

export async function publishDecision(admin: Agent, proposalId: number, outcome: string, text: string) {
  const page = await admin.get(`/staff/proposals/${proposalId}`);
  const positionIds = [...page.body.matchAll(/name="citedPositionIds" value="(\d+)"/g)].map((m) => m[1]!);
  const res = await admin.post(`/proposals/${proposalId}/decision`, {
    version: versionIn(page.body),
    outcome,
    text,
    citedPositionIds: positionIds,
  });
  if (res.statusCode !== 303) throw new Error(`decision failed: ${res.statusCode} ${res.body.slice(0, 500)}`);
}

export async function addNote(admin: Agent, proposalId: number, text: string) {
  await admin.get(`/staff/proposals/${proposalId}`);
  const res = await admin.post(`/proposals/${proposalId}/notes`, { text });
  if (res.statusCode !== 303) throw new Error(`note failed: ${res.statusCode}`);
}

/** A moment `seconds` from now: the worker's clock, moved on instead of waiting. */
export const later = (seconds: number) => new Date(Date.now() + seconds * 1000);

/** The path of a link with a token (`/subscriptions/confirm?token=…`) in a mail's text, as the app's base URL has it. */
export const linkIn = (text: string, path: string) => {
  const m = new RegExp(`http://127\\.0\\.0\\.1:3000${path.replace('?', '\\?')}\\?token=[A-Za-z0-9_-]+`).exec(text);
  if (!m) throw new Error(`no ${path} link in:\n${text}`);
  return m[0].replace('http://127.0.0.1:3000', '');
};
