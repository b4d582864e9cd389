/** An error whose message is meant for the user as one line; the CLI prints it and exits non-zero. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** The first line of any thrown value, for one-line reporting. */
export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0];
}
