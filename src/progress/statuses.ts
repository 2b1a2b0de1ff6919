import type { ProposalStatus } from '../db/schema/proposals.js';
import type { Outcome } from '../db/schema/workflow.js';

/** "Jak czytać statusy": what each status means for the person who made the proposal. */
export const STATUS_HELP: { status: ProposalStatus; text: string }[] = [
  { status: 'nowa', text: 'Propozycja spisana z warsztatu; urząd jeszcze nie przekazał jej do jednostek.' },
  {
    status: 'przekazana',
    text:
      'Urząd wskazał jednostki (wydziały, biura, spółki), które mają zająć stanowisko, jedną z nich jako ' +
      'wiodącą, i termin. Na stronie propozycji widać, ile stanowisk już złożono.',
  },
  {
    status: 'stanowiska-zebrane',
    text: 'Wszystkie przypisane jednostki zajęły stanowisko; urząd przygotowuje decyzję.',
  },
  {
    status: 'rozstrzygnieta',
    text:
      'Urząd opublikował decyzję: sposób rozpatrzenia (np. uwzględniona, nieuwzględniona) i uzasadnienie ' +
      '(„sposób wykorzystania”), z przywołanymi stanowiskami jednostek.',
  },
  { status: 'w-realizacji', text: 'Decyzja zapadła i miasto realizuje propozycję.' },
  { status: 'zrealizowana', text: 'Miasto zakończyło realizację propozycji.' },
  {
    status: 'duplikat',
    text: 'Propozycja powtarza inną i jest rozpatrywana razem z nią; odpowiedź znajdziesz przy tamtej propozycji.',
  },
];

/** "Jak czytać statusy": what each outcome of a decision means for the organisation that made the proposal. */
export const OUTCOME_HELP: Record<Outcome, string> = {
  uwzgledniona:
    'Urząd przyjął propozycję w zgłoszonym kształcie. Uzasadnienie („sposób wykorzystania”) mówi, gdzie ' +
    'i jak zostanie wykorzystana, np. w którym zapisie programu współpracy.',
  'czesciowo-uwzgledniona':
    'Urząd przyjął część propozycji albo przyjął ją w zmienionej formie. Uzasadnienie mówi, co przyjęto, ' +
    'czego nie i dlaczego.',
  nieuwzgledniona:
    'Urząd nie przyjął propozycji. Przy tej odpowiedzi uzasadnienie jest obowiązkowe: podaje powody, ' +
    'np. brak podstaw prawnych albo środków.',
  'juz-realizowana':
    'Miasto już robi to, o co prosi propozycja, więc nie trzeba niczego zmieniać. Uzasadnienie wskazuje, ' +
    'gdzie szukać tego działania.',
  'do-dalszej-analizy':
    'Urząd nie przyjął ani nie odrzucił propozycji: wymaga ona dalszych ustaleń (np. kosztów albo ' +
    'możliwości prawnych). Uzasadnienie mówi, czego dotyczą.',
  'poza-zakresem':
    'Propozycja dotyczy spraw, których program współpracy z organizacjami pozarządowymi nie obejmuje. ' +
    'Uzasadnienie może wskazać, gdzie ją zgłosić.',
};
