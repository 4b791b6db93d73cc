// Items are stored as V8-serialized blobs: exact for every KvValue (binary included) and fast to decode.
import { serialize, deserialize } from 'node:v8';
import type { KvItem, KvValue } from '../kv.js';

export function encodeItem(item: KvItem): Buffer {
  return serialize(item);
}

/**
 * Binary comes back as a plain Uint8Array with its own memory (V8 returns views of the whole row buffer, or Buffers).
 * The deserialized tree is fresh, so binary values are replaced in place: no copy of the rest of the item.
 */
function ownBinary(value: KvValue): KvValue {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const element = value[i] as KvValue;
      if (element !== null && typeof element === 'object') value[i] = ownBinary(element);
    }
  } else if (value !== null && typeof value === 'object') {
    for (const name in value) {
      const element = value[name] as KvValue;
      if (element !== null && typeof element === 'object') value[name] = ownBinary(element);
    }
  }
  return value;
}

export function decodeItem(bytes: Uint8Array): KvItem {
  return ownBinary(deserialize(bytes) as KvValue) as KvItem;
}
