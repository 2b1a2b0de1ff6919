/** A rule the form broke that only the database can tell (a taken name, the last admin): shown by the field. */
export class FormError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A refused change from the command line (src/cli/user-add.ts): printed, exit code 1. */
export class AccountError extends Error {}
