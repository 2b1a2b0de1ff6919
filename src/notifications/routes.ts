import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireAdmin, requireStaff } from '../auth/guards.js';
import { canManage } from '../auth/policy.js';
import { OUTBOX_STATES, type OutboxKind, type ScopeKind } from '../db/schema/notifications.js';
import { HttpError, parseOr } from '../lib/http.js';
import { maskEmail } from './delivery.js';
import { latestMails, mailCounts, requeueDead, scopeLabel, subscriptionCountsByScope } from './queries.js';

export const KIND_LABELS: Record<OutboxKind, string> = {
  confirmation: 'potwierdzenie subskrypcji',
  subscriber: 'powiadomienie dla obserwujących',
  digest: 'codzienne podsumowanie',
  'staff-assigned': 'przekazanie do jednostki',
  'staff-reminder': 'cotygodniowe przypomnienie',
  'staff-positions-complete': 'stanowiska zebrane',
  'account-invitation': 'zaproszenie do konta (link do ustalenia hasła)',
  'account-password-reset': 'link do ustawienia nowego hasła',
};

export const STATE_LABELS = { queued: 'w kolejce', sent: 'wysłana', dead: 'niewysłana (błąd trwały)' } as const;

const SCOPE_LABELS: Record<ScopeKind, string> = {
  consultation: 'całe konsultacje',
  table: 'stolik',
  unit: 'jednostka',
  proposal: 'propozycja',
};

const listQuery = z.object({
  state: z.enum(OUTBOX_STATES).optional().catch(undefined),
  ok: z.enum(['ponowiono']).optional().catch(undefined),
});
const idParam = z.object({
  id: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 31),
});

/** "Poczta": the outbox as staff see it. Admins everything; RDPP reviewers the counts; unit staff nothing. */
const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  const render = async (request: FastifyRequest, reply: FastifyReply, template: string, data: object) => {
    reply.header('Cache-Control', 'no-store');
    const page = await app.view(template, { ...(await app.pageContext(request, reply)), nav: 'mail', ...data });
    return reply.type('text/html; charset=utf-8').send(page);
  };

  const mailReaders = async (request: FastifyRequest, reply: FastifyReply) => {
    await requireStaff(request, reply);
    if (reply.sent) return;
    if (request.user!.role === 'unit') {
      throw new HttpError(403, 'Stronę „Poczta” widzą tylko Biuro Dialogu i Innowacji Miejskich oraz członkowie RDPP.');
    }
  };

  app.get('/staff/mail', { preHandler: mailReaders }, async (request, reply) => {
    const { state, ok } = listQuery.parse(request.query ?? {});
    const full = canManage(request.user);
    const scopes = subscriptionCountsByScope(db).map((s) => ({
      ...s,
      kindLabel: SCOPE_LABELS[s.scopeKind],
      label: scopeLabel(db, s.scopeKind, s.scopeId),
    }));
    const mails = full
      ? latestMails(db, state).map((m) => ({
          ...m,
          masked: maskEmail(m.recipient),
          kindLabel: KIND_LABELS[m.kind],
          stateLabel: STATE_LABELS[m.state],
          retrying: m.state === 'queued' && m.attempts > 0,
        }))
      : [];
    return render(request, reply, 'staff/mail.njk', {
      counts: mailCounts(db),
      scopes,
      mails,
      full,
      state,
      ok,
      stateOptions: OUTBOX_STATES.map((value) => ({ value, label: STATE_LABELS[value] })),
    });
  });

  app.get('/staff/mail/:id', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParam, request.params, 404);
    const preview = app.mailWorker.preview(id);
    if (!preview) throw new HttpError(404, 'Nie ma takiej wiadomości.');
    const { row, mail } = preview;
    return render(request, reply, 'staff/mail-preview.njk', {
      row: {
        ...row,
        masked: maskEmail(row.recipient),
        kindLabel: KIND_LABELS[row.kind],
        stateLabel: STATE_LABELS[row.state],
      },
      mail: mail && { ...mail, to: maskEmail(mail.to), headerList: Object.entries(mail.headers) },
    });
  });

  // the HTML part on its own, as a mail client would show it (the page CSP applies: no scripts run)
  app.get('/staff/mail/:id/html', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParam, request.params, 404);
    const mail = app.mailWorker.preview(id)?.mail;
    if (!mail) throw new HttpError(404, 'Nie ma takiej wiadomości albo nie da się jej już odtworzyć.');
    reply.header('Cache-Control', 'no-store');
    return reply.type('text/html; charset=utf-8').send(mail.html);
  });

  app.post('/staff/mail/:id/retry', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParam, request.params, 404);
    if (!requeueDead(db, id, new Date())) {
      throw new HttpError(409, 'Tej wiadomości nie można wysłać ponownie: nie jest oznaczona jako niewysłana.');
    }
    return reply.redirect('/staff/mail?ok=ponowiono', 303);
  });
};

export default routes;
