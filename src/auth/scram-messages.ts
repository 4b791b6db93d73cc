// Parsing of the two SCRAM client messages, following the ABNF of RFC 5802 §7.
import { ScramError } from './scram-error.js';
import { saslprep, SaslprepError } from './saslprep.js';

export interface ClientFirstMessage {
  /** gs2-header exactly as received, e.g. "n,," — the client must echo it base64-encoded in "c=" (RFC 5802 §6). */
  gs2Header: string;
  /** client-first-message-bare exactly as received: the first part of AuthMessage (RFC 5802 §3). */
  bare: string;
  /** The "n" attribute with =2C/=3D decoded and SASLprep applied (RFC 5802 §5.1). */
  username: string;
  /** The "a" attribute, decoded and prepared, when the client sent one. */
  authzid: string | undefined;
  clientNonce: string;
}

export interface ClientFinalMessage {
  /** client-final-message-without-proof exactly as received: the last part of AuthMessage. */
  withoutProof: string;
  /** The "c" attribute, still base64. */
  channelBinding: string;
  nonce: string;
  proof: Buffer;
}

/** Longest client message accepted; real ones are a few hundred bytes. */
export const MAX_SCRAM_MESSAGE_LENGTH = 4096;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)?$/;
// printable = %x21-2B / %x2D-7E: printable ASCII except ",".
const PRINTABLE = /^[\x21-\x2B\x2D-\x7E]+$/;
// attr-val = ALPHA "=" value, value = 1*value-char (no NUL, no ",").
const ATTR_VAL = /^[A-Za-z]=[^\0,]+$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a message as it came off the wire (bytes after the SASL base64 layer), rejecting invalid UTF-8. */
export function decodeScramMessage(message: string | Uint8Array): string {
  let text: string;
  if (typeof message === 'string') {
    text = message;
  } else {
    try {
      text = utf8.decode(message);
    } catch {
      throw new ScramError('invalid-encoding', 'SCRAM message is not valid UTF-8');
    }
  }
  if (text.length > MAX_SCRAM_MESSAGE_LENGTH) throw new ScramError('invalid-encoding', 'SCRAM message too long');
  if (text.includes('\0')) throw new ScramError('invalid-encoding', 'SCRAM message contains NUL');
  return text;
}

/** saslname: "=2C" is ",", "=3D" is "=", any other "=" MUST fail the exchange (RFC 5802 §5.1 "n"). */
function decodeSaslname(value: string): string {
  if (value.length === 0) throw new ScramError('invalid-username-encoding', 'empty name');
  const decoded = value.replace(/=(2C|3D|.{0,2})/g, (_match, code: string) => {
    if (code === '2C') return ',';
    if (code === '3D') return '=';
    throw new ScramError('invalid-username-encoding', 'bad "=" escape in name');
  });
  let prepared: string;
  try {
    prepared = saslprep(decoded);
  } catch (error) {
    if (error instanceof SaslprepError) throw new ScramError('invalid-username-encoding', error.message);
    throw error;
  }
  if (prepared.length === 0) throw new ScramError('invalid-username-encoding', 'name is empty after SASLprep');
  return prepared;
}

function attribute(attr: string | undefined, name: string): string {
  if (attr === undefined || !attr.startsWith(`${name}=`)) {
    throw new ScramError('invalid-encoding', `expected attribute "${name}"`);
  }
  return attr.slice(2);
}

function checkExtensions(extensions: string[]): void {
  // Unknown optional extensions MUST be ignored, but they must still be attributes (RFC 5802 §5.1).
  for (const ext of extensions) {
    if (!ATTR_VAL.test(ext)) throw new ScramError('invalid-encoding', 'malformed extension attribute');
  }
}

/**
 * client-first-message = gs2-header client-first-message-bare. This server offers no channel binding (no
 * SCRAM-SHA-256-PLUS), so flag "n" and "y" are accepted and "p" fails (RFC 5802 §6).
 */
export function parseClientFirst(text: string): ClientFirstMessage {
  const firstComma = text.indexOf(',');
  const secondComma = firstComma < 0 ? -1 : text.indexOf(',', firstComma + 1);
  if (secondComma < 0) throw new ScramError('invalid-encoding', 'missing gs2-header');
  const cbindFlag = text.slice(0, firstComma);
  const authzidField = text.slice(firstComma + 1, secondComma);
  if (cbindFlag.startsWith('p=')) {
    throw new ScramError('channel-binding-not-supported', 'channel binding is not offered (no -PLUS mechanism)');
  }
  if (cbindFlag !== 'n' && cbindFlag !== 'y') throw new ScramError('invalid-encoding', 'bad gs2-cbind-flag');
  let authzid: string | undefined;
  if (authzidField !== '') authzid = decodeSaslname(attribute(authzidField, 'a'));

  const bare = text.slice(secondComma + 1);
  const attrs = bare.split(',');
  if (attrs[0]?.startsWith('m=')) {
    throw new ScramError('extensions-not-supported', 'mandatory extension "m" is not supported');
  }
  const username = decodeSaslname(attribute(attrs[0], 'n'));
  const clientNonce = attribute(attrs[1], 'r');
  if (!PRINTABLE.test(clientNonce)) throw new ScramError('invalid-encoding', 'bad client nonce');
  checkExtensions(attrs.slice(2));
  return { gs2Header: text.slice(0, secondComma + 1), bare, username, authzid, clientNonce };
}

/** client-final-message = channel-binding "," nonce ["," extensions] "," proof. */
export function parseClientFinal(text: string): ClientFinalMessage {
  const attrs = text.split(',');
  if (attrs.length < 3) throw new ScramError('invalid-encoding', 'client-final-message too short');
  const channelBinding = attribute(attrs[0], 'c');
  const nonce = attribute(attrs[1], 'r');
  const proofText = attribute(attrs[attrs.length - 1], 'p');
  checkExtensions(attrs.slice(2, -1));
  if (!BASE64.test(channelBinding) || !BASE64.test(proofText)) {
    throw new ScramError('invalid-encoding', 'bad base64 in client-final-message');
  }
  return {
    withoutProof: text.slice(0, text.lastIndexOf(',')),
    channelBinding,
    nonce,
    proof: Buffer.from(proofText, 'base64'),
  };
}
