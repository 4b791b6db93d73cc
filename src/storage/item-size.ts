// DynamoDB's item size, computed the way DynamoDB documents it, so every adapter refuses the same items.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
import type { KvValue } from './kv.js';

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Bytes of a number: 1 byte per two significant digits, plus 1 (plus 1 for a sign, as the AWS calculators do). */
function numberSize(n: number): number {
  const sign = n < 0 ? 1 : 0;
  let a = Math.abs(n);
  if (Number.isSafeInteger(a)) {
    // Most numbers are integers (UIDs, MODSEQs, sizes, dates): count their significant digits without a string.
    if (a === 0) return 2;
    while (a % 10 === 0) a /= 10;
    let digits = 1;
    while (a >= 10) {
      a = Math.floor(a / 10);
      digits++;
    }
    return Math.ceil(digits / 2) + 1 + sign;
  }
  const [mantissa = '0'] = Math.abs(n).toExponential().split('e');
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1 + sign;
}

/** Bytes of one attribute value. Lists and maps cost 3 bytes plus 1 byte per element on top of their contents. */
export function dynamoValueSize(value: KvValue): number {
  if (typeof value === 'string') return utf8Length(value);
  if (typeof value === 'number') return numberSize(value);
  if (typeof value === 'boolean' || value === null) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) {
    let size = 3;
    for (const element of value) size += 1 + dynamoValueSize(element);
    return size;
  }
  let size = 3;
  for (const [name, element] of Object.entries(value)) {
    if (element === undefined) continue;
    size += 1 + utf8Length(name) + dynamoValueSize(element);
  }
  return size;
}

/** Bytes of an item: for every top-level attribute, the UTF-8 length of its name plus the size of its value. */
export function dynamoItemSize(item: { [name: string]: KvValue }): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += utf8Length(name) + dynamoValueSize(value);
  }
  return size;
}
