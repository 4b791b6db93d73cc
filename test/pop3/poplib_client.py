# Drives Python's poplib against the server, as a mail client would: logs in with USER/PASS, lists, reads every
# message, takes the UIDLs, deletes the messages named on the command line (by 1-based number), and QUITs.
# Prints one JSON document describing what it saw.
import json
import poplib
import sys

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
delete = [int(n) for n in sys.argv[5].split(',') if n] if len(sys.argv) > 5 else []

box = poplib.POP3(host, port, timeout=30)
out = {'welcome': box.getwelcome().decode()}
out['capa'] = sorted(box.capa().keys())
box.user(user)
box.pass_(password)
count, octets = box.stat()
out['stat'] = [count, octets]
resp, lines, _ = box.list()
out['list'] = [line.decode() for line in lines]
resp, lines, _ = box.uidl()
out['uidl'] = [line.decode() for line in lines]
out['messages'] = []
for n in range(1, count + 1):
    resp, lines, size = box.retr(n)
    out['messages'].append(b'\r\n'.join(lines).decode('latin1'))
resp, lines, _ = box.top(1, 0) if count else (b'', [], 0)
out['top1'] = [line.decode('latin1') for line in lines]
for n in delete:
    box.dele(n)
out['quit'] = box.quit().decode()
print(json.dumps(out))
