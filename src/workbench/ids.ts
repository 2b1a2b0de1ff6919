/**
 * The staff proposal page's forms and sections, defined once: routes redirect with these success
 * codes and anchors, and the templates read the same ids, messages and section ids from here.
 */

/** The timeline-and-note-form fragment's element id (its htmx target). */
export const EVENTS_ID = 'zdarzenia';

/**
 * The element of the page's <dialog> a removal's confirmation is fetched into (its htmx target); without
 * JavaScript the same confirmation is a page of its own.
 */
export const CONFIRM_TARGET_ID = 'potwierdzenie-tresc';

/** Section ids of the staff proposal page (the `id` of each section's heading, the redirect anchor). */
export const SECTIONS = {
  assignments: 'przekazania',
  positions: 'stanowiska',
  decision: 'decyzja',
  status: 'status',
  housekeeping: 'porzadkowanie',
  events: 'zdarzenia-h',
} as const;
export type SectionKey = keyof typeof SECTIONS;

/** Form ids: the key of a form's error state and the prefix of its field ids. */
export const FORMS = {
  assign: 'assign',
  assignment: (assignmentId: number) => `assignment-${assignmentId}`,
  position: (unitId: number | string) => `position-${unitId}`,
  /** the line on a position's card saying whether a draft is saved (the autosave's htmx target) */
  positionDraftState: (unitId: number | string) => `position-${unitId}-szkic`,
  decision: 'decision',
  status: 'status',
  duplicate: 'duplicate',
  correction: 'correction',
  note: 'note',
} as const;

type Success = { message: string; section: SectionKey };

/** What a successful form says, and in which section the user lands (?ok=code#section). */
export const SUCCESS = {
  przekazano: { message: 'Propozycję przekazano do jednostek.', section: 'assignments' },
  // the assignments section lists, under this message, the units nobody can answer for
  'przekazano-bez-konta': {
    message: 'Propozycję przekazano do jednostek. Uwaga: nie każda z nich ma konto w serwisie.',
    section: 'assignments',
  },
  'zmieniono-przekazanie': { message: 'Zmieniono przekazanie.', section: 'assignments' },
  'usunieto-przekazanie': { message: 'Usunięto przekazanie.', section: 'assignments' },
  duplikat: { message: 'Oznaczono propozycję jako duplikat.', section: 'housekeeping' },
  'cofnieto-duplikat': { message: 'Cofnięto oznaczenie duplikatu.', section: 'housekeeping' },
  poprawiono: { message: 'Zapisano poprawkę danych.', section: 'housekeeping' },
  'zmieniono-status': { message: 'Zmieniono status.', section: 'status' },
  notatka: { message: 'Dodano notatkę.', section: 'events' },
  stanowisko: { message: 'Stanowisko zostało złożone.', section: 'positions' },
  'stanowisko-wpisane': {
    message: 'Stanowisko jednostki zostało wpisane; wszędzie jest oznaczone jako wpisane przez Biuro Dialogu.',
    section: 'positions',
  },
  szkic: {
    message: 'Zapisano szkic stanowiska. Nie jest jeszcze złożony: widzą go tylko pracownicy.',
    section: 'positions',
  },
  decyzja: { message: 'Decyzja została opublikowana.', section: 'decision' },
} as const satisfies Record<string, Success>;
export type SuccessCode = keyof typeof SUCCESS;

export function isSuccessCode(code: string | null | undefined): code is SuccessCode {
  return typeof code === 'string' && Object.hasOwn(SUCCESS, code);
}

/** Where a form's success lands: the page, the code and the section's anchor. */
export function successUrl(proposalId: number, code: SuccessCode): string {
  return `/staff/proposals/${proposalId}?ok=${code}#${SECTIONS[SUCCESS[code].section]}`;
}

/** The success shown on the page: its message inside the section it belongs to. */
export function successFor(
  code: string | null | undefined,
): { code: SuccessCode; message: string; section: string } | null {
  if (!isSuccessCode(code)) return null;
  const s = SUCCESS[code];
  return { code, message: s.message, section: SECTIONS[s.section] };
}
