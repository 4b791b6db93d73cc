// Content-Transfer-Encoding decoding (RFC 2045 §6.7 quoted-printable, §6.8 base64), lenient, on bytes.

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Quoted-printable: "=XX" octets, "=" at line end is a soft break; malformed "=" sequences are kept literally. */
export function decodeQuotedPrintable(input: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(input.length);
  let o = 0;
  const n = input.length;
  for (let i = 0; i < n; i++) {
    const c = input[i] as number;
    if (c !== 0x3d) {
      out[o++] = c;
      continue;
    }
    const h1 = i + 1 < n ? hexValue(input[i + 1] as number) : -1;
    const h2 = i + 2 < n ? hexValue(input[i + 2] as number) : -1;
    if (h1 >= 0 && h2 >= 0) {
      out[o++] = h1 * 16 + h2;
      i += 2;
      continue;
    }
    // Soft line break: "=" followed by optional whitespace then CRLF or LF.
    let j = i + 1;
    while (j < n && (input[j] === 0x20 || input[j] === 0x09)) j++;
    if (j < n && input[j] === 0x0d) j++;
    if (j < n && input[j] === 0x0a) {
      i = j;
      continue;
    }
    if (j >= n) break; // "=" at the very end
    out[o++] = c;
  }
  return out.subarray(0, o);
}

/** Decodes a body by its transfer encoding; unknown encodings and 7bit/8bit/binary are returned as they are. */
export function decodeTransfer(input: Uint8Array, encoding: string | null): Buffer {
  const enc = encoding === null ? '' : encoding.trim().toLowerCase();
  if (enc === 'base64') {
    // Node's decoder skips whitespace and characters outside the alphabet, which is what RFC 2045 §6.8 asks.
    return Buffer.from(Buffer.from(input.buffer, input.byteOffset, input.length).toString('latin1'), 'base64');
  }
  if (enc === 'quoted-printable') return decodeQuotedPrintable(input);
  return Buffer.from(input.buffer, input.byteOffset, input.length);
}
