// The failure of a SCRAM exchange, named by the server-error-value of RFC 5802 §7.

export type ScramServerErrorValue =
  | 'invalid-encoding'
  | 'extensions-not-supported'
  | 'invalid-proof'
  | 'channel-bindings-dont-match'
  | 'server-does-support-channel-binding'
  | 'channel-binding-not-supported'
  | 'unsupported-channel-binding-type'
  | 'unknown-user'
  | 'invalid-username-encoding'
  | 'no-resources'
  | 'other-error';

export class ScramError extends Error {
  override readonly name = 'ScramError';
  constructor(
    readonly code: ScramServerErrorValue,
    message: string = code,
  ) {
    super(message);
  }

  /** The server-final-message to send on failure (RFC 5802 §5.1 "e"); sending it is optional. */
  get serverFinal(): string {
    return `e=${this.code}`;
  }
}
