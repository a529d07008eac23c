/**
 * Exit codes are a contract with CI and Tilt (docs/architecture.md §9):
 * 0 ok · 1 a publish/smoke/network step failed · 2 usage or configuration error · 3 drift.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, drift: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error meant for the user: one line, what went wrong and what to do. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
export const failure = (message: string) => new CliError(message, EXIT.failure);

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
