import type { ProposalStatus } from '../db/schema/proposals.js';

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
