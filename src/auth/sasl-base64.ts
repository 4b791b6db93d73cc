// The base64 layer of SASL in IMAP and POP3 (RFC 9051 §6.2.2, RFC 5034 §4): strict, so "=AAA", "AAA=BBB" or
// characters outside the alphabet are refused (the protocol answers BAD), and "=" alone is the empty response.

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)?$/;

/** The decoded client response, or undefined when `text` is not strict base64. */
export function decodeSaslBase64(text: string): Buffer | undefined {
  if (text === '=') return Buffer.alloc(0);
  if (!BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** A server challenge; empty data is sent as an empty continuation ("+ "). */
export function encodeSaslBase64(data: string | Uint8Array): string {
  return Buffer.from(data).toString('base64');
}
