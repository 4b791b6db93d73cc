// dynamoItemSize follows DynamoDB's documented sizing: names and strings by UTF-8 bytes, numbers by
// significant digits, binary by length, lists and maps with 3 bytes plus 1 per element of overhead.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dynamoItemSize, dynamoValueSize } from '../../src/storage/item-size.js';

describe('dynamoItemSize', () => {
  it('counts attribute names and string values in UTF-8 bytes', () => {
    assert.equal(dynamoItemSize({ pk: 'abc', sk: 'é' }), 2 + 3 + 2 + 2);
    assert.equal(dynamoValueSize('\u{1F600}'), 4);
  });

  it('counts numbers by significant digits', () => {
    assert.equal(dynamoValueSize(7), 2);
    assert.equal(dynamoValueSize(123), 3);
    assert.equal(dynamoValueSize(1000), 2);
    assert.equal(dynamoValueSize(0.125), 3);
    assert.equal(dynamoValueSize(-12), 3);
    assert.equal(dynamoValueSize(2 ** 53 - 1), 9);
  });

  it('counts binary by length, booleans and null as 1', () => {
    assert.equal(dynamoValueSize(new Uint8Array(1000)), 1000);
    assert.equal(dynamoValueSize(true), 1);
    assert.equal(dynamoValueSize(null), 1);
  });

  it('counts lists and maps with their overhead and nested names', () => {
    assert.equal(dynamoValueSize([]), 3);
    assert.equal(dynamoValueSize({}), 3);
    assert.equal(dynamoValueSize(['ab', true]), 3 + (1 + 2) + (1 + 1));
    assert.equal(dynamoValueSize({ key: 'v', m: { x: 1 } }), 3 + (1 + 3 + 1) + (1 + 1 + (3 + 1 + 1 + 2)));
  });

  it('puts a 400 KB string over the item limit once names are added', () => {
    assert.ok(dynamoItemSize({ pk: 'p', sk: 's', body: 'x'.repeat(400 * 1024) }) > 400 * 1024);
  });
});
