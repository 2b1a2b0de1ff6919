/** Someone saved the proposal since the form was loaded: nothing was written. */
export class ConflictError extends Error {
  constructor() {
    super('Ktoś inny zmienił tę propozycję, odkąd otwarto formularz. Nic nie zostało zapisane: sprawdź aktualny stan poniżej i wprowadź zmianę ponownie.');
  }
}

/** A form's input broke a business rule; `field` is the form field to point at. */
export class RuleError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}
