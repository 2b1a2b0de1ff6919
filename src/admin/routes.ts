import { z } from 'zod';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireAdmin } from '../auth/guards.js';
import { ROLE_LABELS } from '../auth/policy.js';
import { getUser, listUsers } from '../auth/queries.js';
import { ROLES } from '../db/schema/accounts.js';
import { UNIT_KINDS } from '../db/schema/units.js';
import { asArray, fieldErrors, singleError, type FieldErrors } from '../lib/forms.js';
import { HttpError, parseOr } from '../lib/http.js';
import {
  getUnit,
  latestInvitations,
  listMemberUnits,
  listUnitsWithMembers,
  memberIdsOfGroup,
  type InvitationMail,
} from './queries.js';
import { accountCreateSchema, accountUpdateSchema, idParamSchema, listQuerySchema, unitFormSchema } from './schema.js';
import { createUnit, editUnit } from './service.js';
import { createAccount, resendInvitation, updateAccount } from './accounts.js';
import { hasPassword } from '../auth/password.js';
import { FormError } from './errors.js';
import { findConsultation, listConsultations } from '../proposals/queries.js';
import { NotFound, setCurrentConsultation } from '../proposals/service.js';
import { slugParamSchema } from '../proposals/schema.js';

/** Polish names of unit kinds, as the directory shows them. */
export const UNIT_KIND_LABELS: Record<(typeof UNIT_KINDS)[number], string> = {
  wydział: 'wydział',
  biuro: 'biuro',
  jednostka: 'jednostka miejska',
  spółka: 'spółka miejska',
  pełnomocnik: 'pełnomocnik',
  grupa: 'grupa jednostek (adresat zbiorczy)',
};

type FormBody = Record<string, unknown>;

const text = (body: FormBody, key: string) => (typeof body[key] === 'string' ? (body[key] as string) : '');
/** Ticked checkbox values as numbers-in-strings, to tick them again on a re-rendered form. */
const ticked = (body: FormBody, key: string) => new Set(asArray(body[key]).map(String));

function formErrorsOf(err: unknown): FieldErrors {
  if (err instanceof FormError) return singleError(err.field, err.message);
  throw err;
}

const okQuerySchema = z.object({ ok: z.enum(['current']).optional() }).catch({ ok: undefined });

/**
 * How an account's password stands, for the admin pages: its owner's own, one an admin typed (to be replaced at
 * the first login), or none yet – the owner was invited (the latest invitation mail, when there is one).
 */
function passwordState(
  account: { passwordHash: string; mustChangePassword: boolean },
  invitation: InvitationMail | undefined,
) {
  if (!hasPassword(account.passwordHash)) return { state: 'invited' as const, invitation };
  return { state: account.mustChangePassword ? ('to-change' as const) : ('own' as const) };
}

/** An account as its form shows it (never its password hash). */
function accountView(
  account: { id: number; email: string; passwordHash: string; mustChangePassword: boolean },
  invitation?: InvitationMail,
) {
  return { id: account.id, email: account.email, password: passwordState(account, invitation) };
}

/** Accounts and the unit directory (admin only). */
const routes: FastifyPluginAsync<{ passwordHashCost: number }> = async (app, opts) => {
  const { db } = app.database;
  const admin = { preHandler: requireAdmin };

  const render = async (
    request: FastifyRequest,
    reply: FastifyReply,
    template: string,
    data: Record<string, unknown>,
  ) => {
    // pages with account details and a CSRF token stay out of shared caches
    reply.header('Cache-Control', 'no-store');
    const page = await app.view(template, { ...(await app.pageContext(request, reply)), ...data });
    return reply.type('text/html; charset=utf-8').send(page);
  };

  const roleOptions = ROLES.map((value) => ({ value, label: ROLE_LABELS[value] }));
  const kindOptions = UNIT_KINDS.map((value) => ({ value, label: UNIT_KIND_LABELS[value] }));
  const unitChoices = (checked: Set<string>) =>
    listMemberUnits(db).map((u) => ({ ...u, checked: checked.has(String(u.id)) }));

  // ---- accounts -------------------------------------------------------------------------------

  app.get('/staff/users', admin, async (request, reply) => {
    const { saved } = listQuerySchema.parse(request.query ?? {});
    const invitations = latestInvitations(db);
    const users = listUsers(db).map(({ passwordHash, ...u }) => ({
      ...u,
      roleLabel: ROLE_LABELS[u.role],
      password: passwordState({ passwordHash, mustChangePassword: u.mustChangePassword }, invitations.get(u.id)),
    }));
    return render(request, reply, 'admin/users.njk', { nav: 'users', users, saved });
  });

  const renderAccountForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    data: {
      account?: ReturnType<typeof accountView>;
      values: Record<string, string | boolean>;
      checked: Set<string>;
      errors?: FieldErrors;
    },
  ) =>
    render(request, reply, 'admin/user-form.njk', {
      nav: 'users',
      roleOptions,
      units: unitChoices(data.checked),
      ...data,
    });

  app.get('/staff/users/new', admin, async (request, reply) =>
    renderAccountForm(request, reply, { values: { email: '', name: '', role: '' }, checked: new Set() }),
  );

  app.post('/staff/users', admin, async (request, reply) => {
    const body = (request.body ?? {}) as FormBody;
    const values = { email: text(body, 'email'), name: text(body, 'name'), role: text(body, 'role') };
    const parsed = accountCreateSchema.safeParse(body);
    let errors: FieldErrors;
    if (parsed.success) {
      try {
        const { invited } = await createAccount(db, parsed.data, {
          cost: opts.passwordHashCost,
          actorId: request.user!.id,
        });
        return reply.redirect(`/staff/users?saved=${invited ? 'invited' : 'created'}`, 303);
      } catch (err) {
        errors = formErrorsOf(err);
      }
    } else errors = fieldErrors(parsed.error);
    return renderAccountForm(request, reply.code(422), { values, checked: ticked(body, 'units'), errors });
  });

  const loadAccount = (params: unknown) => {
    const { id } = parseOr(idParamSchema, params, 404);
    const account = getUser(db, id);
    if (!account) throw new HttpError(404, 'Nie ma takiego konta.');
    return account;
  };

  app.get('/staff/users/:id', admin, async (request, reply) => {
    const account = loadAccount(request.params);
    return renderAccountForm(request, reply, {
      account: accountView(account, latestInvitations(db).get(account.id)),
      values: { name: account.name, role: account.role, active: account.active },
      checked: new Set(account.unitIds.map(String)),
    });
  });

  app.post('/staff/users/:id', admin, async (request, reply) => {
    const account = loadAccount(request.params);
    const body = (request.body ?? {}) as FormBody;
    const values = { name: text(body, 'name'), role: text(body, 'role'), active: body.active !== undefined };
    const parsed = accountUpdateSchema.safeParse(body);
    let errors: FieldErrors;
    if (parsed.success) {
      try {
        await updateAccount(db, account.id, parsed.data, { cost: opts.passwordHashCost, actorId: request.user!.id });
        return reply.redirect('/staff/users?saved=updated', 303);
      } catch (err) {
        errors = formErrorsOf(err);
      }
    } else errors = fieldErrors(parsed.error);
    return renderAccountForm(request, reply.code(422), {
      account: accountView(account),
      values,
      checked: ticked(body, 'units'),
      errors,
    });
  });

  // "Wyślij zaproszenie ponownie": one click, a new link for an account whose owner has not chosen a password
  app.post('/staff/users/:id/invitation', admin, async (request, reply) => {
    const account = loadAccount(request.params);
    try {
      resendInvitation(db, account.id, request.user!.id);
      return reply.redirect('/staff/users?saved=reinvited', 303);
    } catch (err) {
      return renderAccountForm(request, reply.code(422), {
        account: accountView(account),
        values: { name: account.name, role: account.role, active: account.active },
        checked: new Set(account.unitIds.map(String)),
        errors: formErrorsOf(err),
      });
    }
  });

  // ---- unit directory -------------------------------------------------------------------------

  app.get('/staff/units', admin, async (request, reply) => {
    const { saved } = listQuerySchema.parse(request.query ?? {});
    const units = listUnitsWithMembers(db).map((u) => ({ ...u, kindLabel: UNIT_KIND_LABELS[u.kind] }));
    return render(request, reply, 'admin/units.njk', { nav: 'staff-units', units, saved });
  });

  const renderUnitForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    data: {
      unit?: { id: number; name: string; slug: string; kind: string };
      values: Record<string, string>;
      checked: Set<string>;
      errors?: FieldErrors;
    },
  ) => {
    // members are chosen for a group (or for a unit being turned into one, when the form comes back)
    const showMembers =
      data.unit !== undefined && (data.unit.kind === 'grupa' || data.values.kind === 'grupa' || data.checked.size > 0);
    return render(request, reply, 'admin/unit-form.njk', {
      nav: 'staff-units',
      kindOptions,
      showMembers,
      members: showMembers ? unitChoices(data.checked).filter((u) => u.id !== data.unit?.id) : [],
      ...data,
    });
  };

  app.get('/staff/units/new', admin, async (request, reply) =>
    renderUnitForm(request, reply, { values: { name: '', kind: '', email: '' }, checked: new Set() }),
  );

  const unitValues = (body: FormBody) => ({
    name: text(body, 'name'),
    kind: text(body, 'kind'),
    email: text(body, 'email'),
  });

  app.post('/staff/units', admin, async (request, reply) => {
    const body = (request.body ?? {}) as FormBody;
    const parsed = unitFormSchema.safeParse(body);
    let errors: FieldErrors;
    if (parsed.success) {
      try {
        createUnit(db, parsed.data, request.user!.id);
        return reply.redirect('/staff/units?saved=created', 303);
      } catch (err) {
        errors = formErrorsOf(err);
      }
    } else errors = fieldErrors(parsed.error);
    return renderUnitForm(request, reply.code(422), {
      values: unitValues(body),
      checked: ticked(body, 'members'),
      errors,
    });
  });

  const loadUnit = (params: unknown) => {
    const { id } = parseOr(idParamSchema, params, 404);
    const unit = getUnit(db, id);
    if (!unit) throw new HttpError(404, 'Nie ma takiej jednostki w katalogu.');
    return unit;
  };

  app.get('/staff/units/:id', admin, async (request, reply) => {
    const unit = loadUnit(request.params);
    return renderUnitForm(request, reply, {
      unit,
      values: { name: unit.name, kind: unit.kind, email: unit.email },
      checked: new Set(memberIdsOfGroup(db, unit.id).map(String)),
    });
  });

  app.post('/staff/units/:id', admin, async (request, reply) => {
    const unit = loadUnit(request.params);
    const body = (request.body ?? {}) as FormBody;
    const parsed = unitFormSchema.safeParse(body);
    let errors: FieldErrors;
    if (parsed.success) {
      try {
        editUnit(db, unit.id, parsed.data, request.user!.id);
        return reply.redirect('/staff/units?saved=updated', 303);
      } catch (err) {
        errors = formErrorsOf(err);
      }
    } else errors = fieldErrors(parsed.error);
    return renderUnitForm(request, reply.code(422), {
      unit,
      values: unitValues(body),
      checked: ticked(body, 'members'),
      errors,
    });
  });

  // ---- consultations: which one the home page and the export show ------------------------------

  app.get('/staff/consultations', admin, async (request, reply) => {
    const current = findConsultation(db);
    const consultations = listConsultations(db).map((c) => ({ ...c, current: c.id === current?.id }));
    const { ok } = parseOr(okQuerySchema, request.query ?? {});
    return render(request, reply, 'admin/consultations.njk', { nav: 'consultations', consultations, ok });
  });

  app.post('/staff/consultations/:slug/current', admin, async (request, reply) => {
    const { slug } = parseOr(slugParamSchema, request.params, 404);
    try {
      setCurrentConsultation(db, slug, request.user!.id);
    } catch (err) {
      if (err instanceof NotFound) throw new HttpError(404, err.message);
      throw err;
    }
    return reply.redirect('/staff/consultations?ok=current', 303);
  });
};

export default routes;
