// Messages for the end-to-end tests, built as exact bytes so fetched sections can be compared byte for byte.

export function simpleMessage(o: { from?: string; to?: string; subject?: string; body?: string; date?: string } = {}): string {
  return (
    `From: ${o.from ?? 'Bob <bob@example.org>'}\r\n` +
    `To: ${o.to ?? 'Alice <alice@example.com>'}\r\n` +
    `Subject: ${o.subject ?? 'Hello'}\r\n` +
    `Date: ${o.date ?? 'Mon, 7 Feb 1994 21:52:25 -0800'}\r\n` +
    'Message-ID: <m1@example.org>\r\n' +
    '\r\n' +
    `${o.body ?? 'Hi there\r\n'}`
  );
}

export interface Multipart {
  raw: Buffer;
  /** The exact bytes of part 1 (text/plain) and part 2 (the attachment, base64 as stored). */
  part1: Buffer;
  part2: Buffer;
}

/** multipart/mixed with a text part and a base64 attachment of `attachmentBytes` decoded bytes. */
export function multipartMessage(attachmentBytes: number, subject = 'Report'): Multipart {
  const text = 'Please find the report attached.\r\nIt is large.\r\n'.repeat(5).trimEnd();
  const data = Buffer.alloc(attachmentBytes);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
  const b64 = (data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
  const head =
    'From: Carol <carol@example.net>\r\n' +
    'To: alice@example.com\r\n' +
    `Subject: ${subject}\r\n` +
    'Date: Tue, 1 Mar 2022 10:00:00 +0000\r\n' +
    'MIME-Version: 1.0\r\n' +
    'Content-Type: multipart/mixed; boundary="XYZ"\r\n' +
    '\r\n' +
    'preamble\r\n';
  const p1 = `--XYZ\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n`;
  const p2 = `\r\n--XYZ\r\nContent-Type: application/octet-stream; name="data.bin"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="data.bin"\r\n\r\n`;
  const end = '\r\n--XYZ--\r\n';
  const raw = head + p1 + text + p2 + b64 + end;
  return { raw: Buffer.from(raw), part1: Buffer.from(text), part2: Buffer.from(b64) };
}
