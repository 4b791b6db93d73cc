// Items are stored as V8-serialized blobs: exact for every KvValue (binary included) and fast to decode.
import { serialize, deserialize } from 'node:v8';
import type { KvItem, KvValue } from '../kv.js';

export function encodeItem(item: KvItem): Buffer {
  return serialize(item);
}

/** Binary comes back as a plain Uint8Array with its own memory (V8 returns Buffers that view the whole row). */
function normalize(value: KvValue): KvValue {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    const out: { [name: string]: KvValue } = {};
    for (const [name, element] of Object.entries(value)) out[name] = normalize(element);
    return out;
  }
  return value;
}

export function decodeItem(bytes: Uint8Array): KvItem {
  return normalize(deserialize(bytes) as KvValue) as KvItem;
}
