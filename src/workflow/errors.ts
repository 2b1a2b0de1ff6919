/**
 * Domain errors: services throw these, routes (and the one error handler) turn them into HTTP answers.
 * Messages are Polish and meant for the user.
 */

/** Someone saved the proposal since the form was loaded: nothing was written. (HTTP 409) */
export class ConflictError extends Error {
  constructor() {
    super(
      'Ktoś inny zmienił tę propozycję, odkąd otwarto formularz. Nic nie zostało zapisane: ' +
        'sprawdź aktualny stan poniżej i wprowadź zmianę ponownie.',
    );
  }
}

/** A form's input broke a business rule; `field` is the form field to point at. (HTTP 422) */
export class RuleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The thing acted on does not exist. (HTTP 404) */
export class NotFoundError extends Error {}

/** The actor may not do this. (HTTP 403) */
export class ForbiddenError extends Error {}
