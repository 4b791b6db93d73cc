# The offlineimap3 suite of test/interop/run.sh: a one-shot offlineimap sync over IMAPS (certificate verified
# against the server's self-signed one, by the name localhost: imaplib2 checks no IP names) brings every folder into a maildir, with as many messages as IMAP reports.

needs_offlineimap() { echo offlineimap3; }

offlineimap_once() {
  local dir="$WORK/offlineimap"
  mkdir -p "$dir/mail" "$dir/meta"
  cat >"$dir/rc" <<RC
[general]
accounts = stratus
metadata = $dir/meta
ui = quiet

[Account stratus]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = $dir/mail

[Repository remote]
type = IMAP
remotehost = localhost
remoteport = $IMAPS_PORT
remoteuser = $USER_LOGIN
remotepass = $USER_PASSWORD
ssl = yes
sslcacertfile = $STRATUS_DATA_DIR/tls/cert.pem
RC
  imap_py "
imap.create('Offline')
for i in range(2):
    assert imap.append('Offline', None, None, ('Subject: offline %d\\r\\n\\r\\nx\\r\\n' % i).encode())[0] == 'OK'
" || return 1
  offlineimap -c "$dir/rc" -o -u quiet || return 1
  expect_eq 2 "$(find "$dir/mail/Offline/cur" "$dir/mail/Offline/new" -type f 2>/dev/null | wc -l | tr -d ' ')" "Offline messages" || return 1
  local inbox local_count
  inbox="$(inbox_count)"
  local_count="$(find "$dir/mail/INBOX/cur" "$dir/mail/INBOX/new" -type f 2>/dev/null | wc -l | tr -d ' ')"
  expect_eq "$inbox" "$local_count" "INBOX messages in offlineimap's maildir"
}

suite_offlineimap() {
  check "offlineimap3 one-shot sync of INBOX and a folder over IMAPS" offlineimap_once
}
