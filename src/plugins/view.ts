import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fp from 'fastify-plugin';
import fastifyView from '@fastify/view';
import nunjucks from 'nunjucks';
import { formatDatePl, formatDateTimePl } from '../lib/dates.js';
import { STATUS_LABELS } from '../proposals/status.js';
import { recordedNote } from '../positions/basis.js';

export const viewsRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

/** Nunjucks with autoescape; the template cache comes from config, never from NODE_ENV. */
export default fp<{ cache: boolean }>(
  async (app, opts) => {
    await app.register(fastifyView, {
      engine: { nunjucks },
      root: viewsRoot,
      production: opts.cache,
      options: {
        autoescape: true,
        noCache: !opts.cache,
        throwOnUndefined: false,
        onConfigure: (env: nunjucks.Environment) => {
          env.addFilter('datePl', (v: string | null | undefined) => (v ? formatDatePl(v) : ''));
          env.addFilter('dateTimePl', (v: string | null | undefined) => (v ? formatDateTimePl(v) : ''));
          // "wpisane przez Biuro Dialogu na podstawie pisma z dnia …" for a position recorded on a unit's behalf
          env.addFilter('recordedNote', recordedNote);
          env.addFilter('statusLabel', (v: string) => STATUS_LABELS[v as keyof typeof STATUS_LABELS] ?? v);
          env.addGlobal('statusLabels', STATUS_LABELS);
          // {{ asset('style.css') }}: the content-hashed URL the static plugin serves for a year
          env.addGlobal('asset', (name: string) =>
            app.hasDecorator('assetPath') ? app.assetPath(name) : `/static/${name}`,
          );
        },
      },
    });
  },
  { name: 'view' },
);
