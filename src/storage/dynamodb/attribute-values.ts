// Conversion between our KvValue shapes and DynamoDB AttributeValues. Arrays become L (never sets), binary is B,
// and empty strings / lists / maps / binaries are kept as they are (DynamoDB allows them outside keys).
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { KvItem, KvKey, KvValue } from '../kv.js';

export type AttributeMap = Record<string, AttributeValue>;

const MARSHALL_OPTIONS = { removeUndefinedValues: true, convertEmptyValues: false } as const;

export function toAttributeMap(item: { [name: string]: KvValue }): AttributeMap {
  return marshall(item, MARSHALL_OPTIONS);
}

export function toAttributeValue(value: KvValue): AttributeValue {
  // marshall works on maps only; wrap and unwrap so one value gets the same treatment as an item's attribute.
  const wrapped = marshall({ v: value }, MARSHALL_OPTIONS);
  const attr = wrapped.v;
  if (attr === undefined) throw new TypeError('value cannot be stored in DynamoDB');
  return attr;
}

export function keyAttributes(key: KvKey): AttributeMap {
  return { pk: { S: key.pk }, sk: { S: key.sk } };
}

export function fromAttributeMap(map: AttributeMap): KvItem {
  return unmarshall(map) as KvItem;
}
