# The mbsync (isync) suite of test/interop/run.sh: mbsync syncs several folders both ways over IMAPS (certificate
# verified against the server's self-signed one, whose names include DNS:localhost — isync 1.4 checks no IP names): server → maildir, then maildir → server (new messages and a new
# folder), then a flag change made locally reaches the server.

needs_mbsync() { echo isync; }

imap_py() { # imap_py 'python statements using imap' : runs them logged in over IMAP
  python3 - "$HOST" "$IMAP_PORT" "$USER_LOGIN" "$USER_PASSWORD" "$1" <<'PY'
import imaplib, sys
imap = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
imap.login(sys.argv[3], sys.argv[4])
exec(sys.argv[5])
imap.logout()
PY
}

mbsync_run() {
  local dir="$WORK/mbsync"
  mkdir -p "$dir/mail"
  local tls_key=TLSType
  mbsync --version 2>/dev/null | grep -q 'isync 1\.[0-4]\.' && tls_key=SSLType
  cat >"$dir/rc" <<RC
IMAPAccount stratus
Host localhost
Port $IMAPS_PORT
User $USER_LOGIN
Pass "$USER_PASSWORD"
$tls_key IMAPS
CertificateFile $STRATUS_DATA_DIR/tls/cert.pem

IMAPStore remote
Account stratus

MaildirStore local
Path $dir/mail/
Inbox $dir/mail/INBOX
SubFolders Verbatim

Channel stratus
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
RC
  mbsync -c "$dir/rc" -a
}

maildir_count() { # maildir_count FOLDER
  find "$WORK/mbsync/mail/$1/cur" "$WORK/mbsync/mail/$1/new" -type f 2>/dev/null | wc -l | tr -d ' '
}

mbsync_down() {
  imap_py "
imap.create('Projects')
imap.create('Projects/Alpha')
for box, n in (('INBOX', 2), ('Projects', 2), ('Projects/Alpha', 1)):
    for i in range(n):
        msg = ('From: a@example.org\r\nSubject: mbsync %s %d\r\nMessage-ID: <mbsync-%s-%d@example.org>\r\n\r\nhi\r\n' % (box, i, box.replace('/', '-'), i)).encode()
        assert imap.append(box, None, None, msg)[0] == 'OK'
" || return 1
  local inbox
  inbox="$(inbox_count)"
  mbsync_run || return 1
  expect_eq "$inbox" "$(maildir_count INBOX)" "INBOX messages in the maildir" || return 1
  expect_eq 2 "$(maildir_count Projects)" "Projects messages in the maildir" || return 1
  expect_eq 1 "$(maildir_count Projects/Alpha)" "Projects/Alpha messages in the maildir"
}

mbsync_up() {
  local dir="$WORK/mbsync/mail"
  mkdir -p "$dir/Local/cur" "$dir/Local/new" "$dir/Local/tmp"
  printf 'From: me@example.org\r\nSubject: made locally\r\nMessage-ID: <mbsync-local@example.org>\r\n\r\nlocal\r\n' >"$dir/Local/new/1700000000.1.local"
  printf 'From: me@example.org\r\nSubject: filed locally\r\nMessage-ID: <mbsync-filed@example.org>\r\n\r\nfiled\r\n' >"$dir/Projects/new/1700000000.2.local"
  mbsync_run || return 1
  imap_py "
typ, data = imap.status('Local', '(MESSAGES)')
assert typ == 'OK' and b'MESSAGES 1' in data[0], data
typ, data = imap.status('Projects', '(MESSAGES)')
assert typ == 'OK' and b'MESSAGES 3' in data[0], data
"
}

mbsync_flags_up() {
  local file
  file="$(find "$WORK/mbsync/mail/Projects/Alpha/cur" "$WORK/mbsync/mail/Projects/Alpha/new" -type f | head -n 1)"
  [ -n "$file" ] || { echo "no message in Projects/Alpha"; return 1; }
  local base="${file##*/}"
  base="${base%%:2,*}"
  mv "$file" "$WORK/mbsync/mail/Projects/Alpha/cur/$base:2,FS"
  mbsync_run || return 1
  imap_py "
imap.select('Projects/Alpha', readonly=True)
typ, data = imap.fetch('1', '(FLAGS)')
assert b'\\\\Flagged' in data[0] and b'\\\\Seen' in data[0], data
"
}

suite_mbsync() {
  check "mbsync syncs INBOX, Projects, Projects/Alpha down to a maildir (IMAPS)" mbsync_down
  check "mbsync syncs new local messages and a new local folder up" mbsync_up
  check "mbsync carries local flags (\\Seen \\Flagged) up" mbsync_flags_up
}
