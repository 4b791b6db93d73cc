// The SASL PLAIN mechanism's single client message (RFC 4616 §2):
//
//   message = [authzid] UTF8NUL authcid UTF8NUL passwd
//   authcid = 1*SAFE ; MUST accept up to 255 octets      passwd = 1*SAFE ; MUST accept up to 255 octets
//   authzid = 1*SAFE ; MUST accept up to 255 octets      SAFE   = UTF-8 except NUL
//
// We accept exactly those limits (255 octets per field), so a message is at most 767 octets. The fields are returned
// as received: SASLprep of the password happens in verifyPassword (scram.ts), and the user lookup decides how to
// compare the authcid.

export type SaslPlainFailure =
  | 'bad-base64'
  | 'too-long'
  | 'wrong-field-count'
  | 'invalid-utf8'
  | 'empty-authcid'
  | 'empty-password';

export class SaslPlainError extends Error {
  override readonly name = 'SaslPlainError';
  constructor(
    readonly reason: SaslPlainFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface SaslPlainCredentials {
  /** The identity to act as; undefined when the client left it empty (act as authcid). */
  authzid: string | undefined;
  authcid: string;
  password: string;
}

/** RFC 4616 §2: each field "MUST be capable of accepting" up to 255 octets; we accept no more. */
export const MAX_PLAIN_FIELD_OCTETS = 255;
const MAX_PLAIN_MESSAGE_OCTETS = 3 * MAX_PLAIN_FIELD_OCTETS + 2;
const MAX_PLAIN_BASE64_CHARS = Math.ceil(MAX_PLAIN_MESSAGE_OCTETS / 3) * 4;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes the base64 client response of AUTHENTICATE PLAIN (RFC 4616, base64 layer per RFC 3501 §6.2.2). */
export function decodeSaslPlain(base64: string): SaslPlainCredentials {
  if (base64.length > MAX_PLAIN_BASE64_CHARS) {
    throw new SaslPlainError('too-long', `PLAIN message longer than ${MAX_PLAIN_MESSAGE_OCTETS} octets`);
  }
  if (!BASE64.test(base64)) throw new SaslPlainError('bad-base64', 'PLAIN message is not valid base64');
  return parseSaslPlain(Buffer.from(base64, 'base64'));
}

/** Parses the PLAIN message once the protocol's base64 layer is removed. */
export function parseSaslPlain(message: Uint8Array): SaslPlainCredentials {
  if (message.length > MAX_PLAIN_MESSAGE_OCTETS) {
    throw new SaslPlainError('too-long', `PLAIN message longer than ${MAX_PLAIN_MESSAGE_OCTETS} octets`);
  }
  const fields = splitOnNul(message);
  if (fields.length !== 3) {
    throw new SaslPlainError('wrong-field-count', `PLAIN message needs exactly 2 NULs, found ${fields.length - 1}`);
  }
  const [authzidBytes, authcidBytes, passwordBytes] = fields as [Uint8Array, Uint8Array, Uint8Array];
  if (authcidBytes.length === 0) throw new SaslPlainError('empty-authcid', 'PLAIN authcid is empty');
  if (passwordBytes.length === 0) throw new SaslPlainError('empty-password', 'PLAIN password is empty');
  for (const field of fields) {
    if (field.length > MAX_PLAIN_FIELD_OCTETS) {
      throw new SaslPlainError('too-long', `PLAIN field longer than ${MAX_PLAIN_FIELD_OCTETS} octets`);
    }
  }
  return {
    authzid: authzidBytes.length === 0 ? undefined : decodeUtf8(authzidBytes),
    authcid: decodeUtf8(authcidBytes),
    password: decodeUtf8(passwordBytes),
  };
}

function splitOnNul(message: Uint8Array): Uint8Array[] {
  const fields: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < message.length; i++) {
    if (message[i] === 0) {
      fields.push(message.subarray(start, i));
      start = i + 1;
    }
  }
  fields.push(message.subarray(start));
  return fields;
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SaslPlainError('invalid-utf8', 'PLAIN field is not valid UTF-8');
  }
}
