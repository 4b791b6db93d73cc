// Shared helpers for the MIME tests (not a test file itself).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { indexMessage } from '../../src/mime/index.js';
import { partRange } from '../../src/mime/section.js';
import type { SectionKind } from '../../src/mime/section.js';
import type { MessageIndex } from '../../src/mime/types.js';

export function fixture(name: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`../fixtures/mime/${name}.eml`, import.meta.url)));
}

export function load(name: string): { raw: Buffer; index: MessageIndex } {
  const raw = fixture(name);
  return { raw, index: indexMessage(raw) };
}

/** The text of a section, read the way FETCH will: a byte range of the raw message. */
export function section(raw: Buffer, index: MessageIndex, path: number[], kind: SectionKind): string | null {
  const r = partRange(index, path, kind);
  return r === null ? null : raw.subarray(r.start, r.start + r.length).toString('latin1');
}

/** The index must be plain JSON: a JSON round trip gives back an equal value. */
export function jsonRoundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
