# The interimap suite of test/interop/run.sh: Debian's interimap (a QRESYNC-only two-way sync, RFC 7162) between two
# Stratus accounts on the server run.sh started: "local" is a second user over plain IMAP, "remote" the interop user
# over IMAPS (certificate verified against the server's self-signed one). An initial sync copies the remote folder
# down; an incremental one (interimap resumes each mailbox with SELECT … (QRESYNC …)) carries flag changes,
# expunges and new messages made on either side, and both accounts end with the same messages and flags.

needs_interimap() { echo interimap; }

INTERIMAP_LOCAL=interimap-local@example.com
INTERIMAP_LOCAL_PASSWORD='interimap local pw'
INTERIMAP_BOX=Interimap

# interimap_py LOGIN PASSWORD 'python statements using imap' : runs them logged in over IMAP.
interimap_py() {
  python3 - "$HOST" "$IMAP_PORT" "$1" "$2" "$3" <<'PY'
import imaplib, sys
imap = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
imap.login(sys.argv[3], sys.argv[4])
exec(sys.argv[5])
imap.logout()
PY
}

# interimap_state LOGIN PASSWORD : one line per message of the folder, "subject|flags" sorted (\Recent left out).
interimap_state() {
  interimap_py "$1" "$2" "
import re
typ, _ = imap.select('$INTERIMAP_BOX', readonly=True)
assert typ == 'OK'
typ, data = imap.uid('FETCH', '1:*', '(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
rows = []
for item in data:
    if not isinstance(item, tuple):
        continue
    flags = sorted(f for f in re.search(rb'FLAGS \(([^)]*)\)', item[0]).group(1).decode().split() if f != '\\\\Recent')
    subject = item[1].decode().strip().removeprefix('Subject: ')
    rows.append(subject + '|' + ' '.join(flags))
print('\n'.join(sorted(rows)))
"
}

interimap_run() {
  interimap --config="$WORK/interimap/config" "$INTERIMAP_BOX"
}

interimap_setup() {
  local dir="$WORK/interimap"
  mkdir -p "$dir"
  stratus user add "$INTERIMAP_LOCAL" --password "$INTERIMAP_LOCAL_PASSWORD" >/dev/null || return 1
  cat >"$dir/config" <<CONF
database = $dir/sync.db
logfile = $dir/interimap.log

[local]
type = imap
host = 127.0.0.1
port = $IMAP_PORT
STARTTLS = NO
username = $INTERIMAP_LOCAL
password = $INTERIMAP_LOCAL_PASSWORD

[remote]
type = imaps
host = localhost
port = $IMAPS_PORT
username = $USER_LOGIN
password = $USER_PASSWORD
SSL_CAfile = $STRATUS_DATA_DIR/tls/cert.pem
CONF
  interimap_py "$USER_LOGIN" "$USER_PASSWORD" "
assert imap.create('$INTERIMAP_BOX')[0] == 'OK'
for i in range(1, 5):
    msg = ('From: r@example.org\r\nSubject: remote %d\r\nMessage-ID: <interimap-r%d@example.org>\r\n\r\nremote %d\r\n' % (i, i, i)).encode()
    assert imap.append('$INTERIMAP_BOX', '(\\\\Seen)' if i == 2 else None, None, msg)[0] == 'OK'
"
}

interimap_initial() {
  interimap_setup || return 1
  interimap_run || { cat "$WORK/interimap/interimap.log"; return 1; }
  local remote local_
  remote="$(interimap_state "$USER_LOGIN" "$USER_PASSWORD")" || return 1
  local_="$(interimap_state "$INTERIMAP_LOCAL" "$INTERIMAP_LOCAL_PASSWORD")" || return 1
  expect_eq 4 "$(printf '%s\n' "$local_" | grep -c '^remote ')" "messages copied down" || return 1
  expect_eq "$remote" "$local_" "the local folder after the initial sync"
}

interimap_incremental() {
  # Remote: a flag, an expunge, a new message. Local: a new message and a flag.
  interimap_py "$USER_LOGIN" "$USER_PASSWORD" "
imap.select('$INTERIMAP_BOX')
typ, data = imap.search(None, 'SUBJECT', '\"remote 1\"')
imap.store(data[0].decode(), '+FLAGS', '(\\\\Flagged)')
typ, data = imap.search(None, 'SUBJECT', '\"remote 3\"')
imap.store(data[0].decode(), '+FLAGS', '(\\\\Deleted)')
imap.expunge()
msg = b'From: r@example.org\r\nSubject: remote 5\r\nMessage-ID: <interimap-r5@example.org>\r\n\r\nremote 5\r\n'
assert imap.append('$INTERIMAP_BOX', None, None, msg)[0] == 'OK'
" || return 1
  interimap_py "$INTERIMAP_LOCAL" "$INTERIMAP_LOCAL_PASSWORD" "
imap.select('$INTERIMAP_BOX')
typ, data = imap.search(None, 'SUBJECT', '\"remote 4\"')
imap.store(data[0].decode(), '+FLAGS', '(\\\\Answered)')
msg = b'From: l@example.org\r\nSubject: local 1\r\nMessage-ID: <interimap-l1@example.org>\r\n\r\nlocal 1\r\n'
assert imap.append('$INTERIMAP_BOX', None, None, msg)[0] == 'OK'
" || return 1
  interimap_run || { cat "$WORK/interimap/interimap.log"; return 1; }
  local remote local_
  remote="$(interimap_state "$USER_LOGIN" "$USER_PASSWORD")" || return 1
  local_="$(interimap_state "$INTERIMAP_LOCAL" "$INTERIMAP_LOCAL_PASSWORD")" || return 1
  expect_eq "$remote" "$local_" "both accounts after the incremental sync" || return 1
  local expected
  expected="$(printf '%s\n' 'local 1|' 'remote 1|\Flagged' 'remote 2|\Seen' 'remote 4|\Answered' 'remote 5|' | LC_ALL=C sort)"
  expect_eq "$expected" "$remote" "the synced folder"
}

suite_interimap() {
  check "interimap: initial sync of a folder between two accounts (QRESYNC, IMAPS + IMAP)" interimap_initial
  check "interimap: incremental sync carries flags, an expunge and new messages both ways" interimap_incremental
}
