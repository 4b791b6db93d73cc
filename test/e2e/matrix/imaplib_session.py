#!/usr/bin/env python3
"""One IMAP session of Python's standard imaplib, driven over stdin/stdout by test/e2e/rev-matrix.test.ts.

usage: imaplib_session.py PORT

Each stdin line is a JSON request {"id", "call", "args", "literal"}; each stdout line answers it with what an imaplib
user sees: {"id", "typ", "data", "untagged", "wire", "error"}.
  call      an imaplib.IMAP4 method name (login, select, fetch, uid, search, xatom, enable, ...), or one of the
            session steps imaplib 3.11 has no method for: "authenticate_plain" (user, password), "idle_start",
            "idle_read" (n responses), "idle_done".
  args      strings, null, or {"bytes": latin1 text} for bytes (APPEND's message).
  literal   latin1 text imaplib sends as a synchronizing literal after the arguments (its `literal` attribute).
  typ/data  the method's return value; bytes become latin1 text, tuples (response + literal) lists.
  untagged  imaplib's untagged_responses left after the call (they are cleared before each call), e.g. ESEARCH,
            EXISTS, LIST, response codes such as APPENDUID or HIGHESTMODSEQ.
  tag       the tag of the last command sent (ESEARCH answers name it).
  wire      the server's lines for this call as imaplib read them (literal bytes in place), for failure messages.
  error     imaplib's exception text (a tagged BAD raises IMAP4.error), else null.
"""
import imaplib
import json
import re
import sys


class RecordedIMAP4(imaplib.IMAP4):
    """imaplib.IMAP4 that keeps the server's bytes of the current call and uses the fixed tag prefix "T" (so an
    ESEARCH (TAG "T5") can be compared exactly)."""

    def __init__(self, host, port):
        self.wire = []
        super().__init__(host, port)
        self.tagpre = b'T'
        self.tagre = re.compile(br'(?P<tag>T\d+) (?P<type>[A-Z]+) (?P<data>.*)', re.ASCII)

    def readline(self):
        line = super().readline()
        self.wire.append(line)
        return line

    def read(self, size):
        data = super().read(size)
        self.wire.append(data)
        return data

    # IDLE (RFC 2177 / RFC 9051 §6.3.13): imaplib 3.11 has no idle(); these use its own response reader.
    def idle_start(self):
        self.idle_tag = self._new_tag()
        self.send(self.idle_tag + b' IDLE\r\n')
        while self._get_response():
            if self.tagged_commands[self.idle_tag]:
                return self.tagged_commands[self.idle_tag]
        return '+', [self.continuation_response]

    def idle_read(self, count):
        for _ in range(int(count)):
            self._get_response()
        return 'OK', []

    def idle_done(self):
        self.send(b'DONE\r\n')
        return self._command_complete('IDLE', self.idle_tag)

    def authenticate_plain(self, user, password):
        return self.authenticate('PLAIN', lambda _: f'\0{user}\0{password}'.encode())


def plain(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode('latin1')
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def main():
    imap = RecordedIMAP4('127.0.0.1', int(sys.argv[1]))
    for line in sys.stdin:
        request = json.loads(line)
        imap.untagged_responses.clear()
        imap.wire = []
        answer = {'id': request['id'], 'typ': None, 'data': None, 'error': None}
        try:
            if request.get('literal') is not None:
                imap.literal = request['literal'].encode('latin1')
            args = [a['bytes'].encode('latin1') if isinstance(a, dict) else a for a in request.get('args', [])]
            typ, data = getattr(imap, request['call'])(*args)
            answer['typ'], answer['data'] = plain(typ), plain(data)
        except Exception as err:  # a tagged BAD, a refused state, a lost connection: the test asserts on it
            answer['error'] = f'{type(err).__name__}: {err}'
        answer['tag'] = (imap.tagpre + str(imap.tagnum - 1).encode()).decode()
        answer['untagged'] = plain(dict(imap.untagged_responses))
        answer['wire'] = plain(imap.wire)
        sys.stdout.write(json.dumps(answer) + '\n')
        sys.stdout.flush()
        if request['call'] == 'logout':
            break


if __name__ == '__main__':
    main()
