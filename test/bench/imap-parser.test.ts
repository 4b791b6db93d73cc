import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fetchItems, ImapParseError, parseResponse } from '../../bench/imap-parser.js';

const parse = (text: string) => parseResponse(Buffer.from(text));

describe('parseResponse', () => {
  it('parses tagged completions with and without a response code', () => {
    assert.deepEqual(parse('A0001 OK [READ-WRITE] SELECT completed'), {
      kind: 'tagged',
      tag: 'A0001',
      status: 'OK',
      resp: { code: 'READ-WRITE', codeArgs: '', text: 'SELECT completed' },
    });
    assert.deepEqual(parse('A2 NO [AUTHENTICATIONFAILED] Authentication failed.'), {
      kind: 'tagged',
      tag: 'A2',
      status: 'NO',
      resp: { code: 'AUTHENTICATIONFAILED', codeArgs: '', text: 'Authentication failed.' },
    });
    assert.throws(() => parse('A3 MAYBE whatever'), ImapParseError);
  });

  it('parses untagged status responses with codes that carry arguments', () => {
    assert.deepEqual(parse('* OK [UIDNEXT 201] Predicted next UID'), {
      kind: 'status',
      status: 'OK',
      resp: { code: 'UIDNEXT', codeArgs: '201', text: 'Predicted next UID' },
    });
    const flags = parse('* OK [PERMANENTFLAGS (\\Seen \\*)] Flags permitted.');
    assert.equal(flags.kind === 'status' && flags.resp.codeArgs, '(\\Seen \\*)');
    assert.equal(parse('* BYE Logging out').kind, 'status');
  });

  it('parses numbered and data responses', () => {
    assert.deepEqual(parse('* 23 EXISTS'), { kind: 'numbered', number: 23, name: 'EXISTS', values: [] });
    assert.deepEqual(parse('* SEARCH 2 3 5'), { kind: 'data', name: 'SEARCH', values: ['2', '3', '5'] });
    assert.deepEqual(parse('* SEARCH'), { kind: 'data', name: 'SEARCH', values: [] });
    assert.deepEqual(parse('* FLAGS (\\Answered \\Seen)'), { kind: 'data', name: 'FLAGS', values: [['\\Answered', '\\Seen']] });
    assert.deepEqual(parse('+ go ahead'), { kind: 'continuation', text: 'go ahead' });
  });

  it('parses FETCH items: quoted strings with escapes, NIL, literals, sections with spaces', () => {
    const response = parse(
      '* 4 FETCH (UID 9 INTERNALDATE "01-Jan-2025 00:00:00 +0000" FLAGS () ' +
        'BODY[HEADER.FIELDS (FROM SUBJECT)] {5}\r\nab\r\nc BODY[1]<0> "say \\"hi\\" \\\\" X NIL)',
    );
    assert.equal(response.kind, 'numbered');
    if (response.kind !== 'numbered') return;
    const items = fetchItems(response.values);
    assert.equal(items.get('UID'), '9');
    assert.equal(items.get('INTERNALDATE'), '01-Jan-2025 00:00:00 +0000');
    assert.deepEqual(items.get('FLAGS'), []);
    assert.deepEqual(items.get('BODY[HEADER.FIELDS (FROM SUBJECT)]'), Buffer.from('ab\r\nc'));
    assert.equal(items.get('BODY[1]<0>'), 'say "hi" \\');
    assert.equal(items.get('X'), null);
  });

  it('parses a multipart BODYSTRUCTURE, whose parts have no SP between them', () => {
    const response = parse(
      '* 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1)' +
        '("application" "octet-stream" NIL NIL NIL "base64" 20) "mixed" ("boundary" "b") NIL NIL))',
    );
    assert.equal(response.kind, 'numbered');
    if (response.kind !== 'numbered') return;
    const structure = fetchItems(response.values).get('BODYSTRUCTURE');
    assert.ok(Array.isArray(structure));
    assert.equal(structure.length, 6);
    assert.deepEqual(structure[0], ['text', 'plain', ['charset', 'utf-8'], null, null, '7bit', '10', '1']);
    assert.equal(structure[2], 'mixed');
  });

  it('rejects broken input', () => {
    assert.throws(() => parse('* 1 FETCH (UID 1'), ImapParseError);
    assert.throws(() => parse('* 1 FETCH (BODY[] {10}\r\nabc)'), ImapParseError);
    assert.throws(() => parse('* 1 FETCH (X "unterminated)'), ImapParseError);
    assert.throws(() => fetchItems(['UID']), ImapParseError);
  });
});
