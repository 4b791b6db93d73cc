# The POP3 suite of test/interop/run.sh: curl pop3://, fetchmail (UIDL, keep and no-keep) and Python's poplib
# download and delete messages, and IMAP confirms what is left in INBOX.

needs_pop3() { echo fetchmail; }

pop3_messages() { # writes messages $WORK/msg-<n>.eml for n in $1..$2
  local n
  for n in $(seq "$1" "$2"); do
    printf 'From: Bob <bob@example.org>\r\nTo: %s\r\nSubject: Interop %s\r\nMessage-ID: <interop-%s@example.org>\r\n\r\nHello %s.\r\n.A line that starts with a dot\r\n..and one with two\r\n.\r\nThe end.\r\n' \
      "$USER_LOGIN" "$n" "$n" "$n" >"$WORK/msg-$n.eml"
  done
}

curl_pop3() { # curl_pop3 PATH [curl args...]
  local path="$1"
  shift
  curl --silent --show-error --max-time 30 --user "$USER_LOGIN:$USER_PASSWORD" "pop3://$HOST:$POP3_PORT/$path" "$@"
}

fetchmail_run() { # fetchmail_run keep|nokeep : runs fetchmail once with UIDL tracking; prints its exit status
  local keep="$1"
  mkdir -p "$WORK/fetchmail"
  cat >"$WORK/fetchmail/rc" <<RC
set no syslog
poll $HOST with proto POP3 port $POP3_PORT uidl
  user "$USER_LOGIN" there with password "$USER_PASSWORD" is "$(id -un)" here
  options $keep sslproto ''
  mda "/bin/sh -c 'cat >> $WORK/fetchmail.mbox'"
RC
  chmod 0600 "$WORK/fetchmail/rc"
  FETCHMAILHOME="$WORK/fetchmail" fetchmail --fetchmailrc "$WORK/fetchmail/rc" --idfile "$WORK/fetchmail/ids" \
    --nodetach --silent >>"$WORK/fetchmail/log" 2>&1
  echo $?
}

mbox_count() { [ -f "$WORK/fetchmail.mbox" ] && grep -c '^Message-ID: <interop-' "$WORK/fetchmail.mbox" || echo 0; }

pop3_curl_list() {
  local listing
  listing="$(curl_pop3 '' | tr -d '\r')" || return 1
  expect_eq 3 "$(printf '%s\n' "$listing" | grep -c '^[0-9]* [0-9]*$')" "LIST lines" || { echo "$listing"; return 1; }
  expect_eq "1 $(wc -c <"$WORK/msg-1.eml")" "$(printf '%s\n' "$listing" | head -n 1)" "size of message 1"
}

pop3_curl_retr() {
  curl_pop3 2 >"$WORK/curl-2.eml" || return 1
  cmp "$WORK/msg-2.eml" "$WORK/curl-2.eml"
}

pop3_curl_uidl() {
  local first second
  first="$(curl_pop3 '' -X UIDL | tr -d '\r')" || return 1
  second="$(curl_pop3 '' -X UIDL | tr -d '\r')" || return 1
  expect_eq 3 "$(printf '%s\n' "$first" | grep -cE '^[0-9]+ [0-9]+\.[0-9]+$')" "UIDL lines" || { echo "$first"; return 1; }
  expect_eq "$first" "$second" "the same UIDL listing in a second session"
}

pop3_fetchmail_keep() {
  expect_eq 0 "$(fetchmail_run keep)" "fetchmail exit status (mail retrieved)" || { cat "$WORK/fetchmail/log"; return 1; }
  expect_eq 3 "$(mbox_count)" "messages delivered by fetchmail" || return 1
  expect_eq 3 "$(inbox_count)" "messages left on the server (keep)"
}

pop3_fetchmail_uidl_again() {
  expect_eq 1 "$(fetchmail_run keep)" "fetchmail exit status (no new mail)" || { cat "$WORK/fetchmail/log"; return 1; }
  expect_eq 3 "$(mbox_count)" "messages delivered by fetchmail"
}

pop3_curl_dele() {
  curl_pop3 1 -X DELE --head >/dev/null || return 1
  expect_eq 2 "$(inbox_count)" "messages left after curl DELE 1"
}

pop3_poplib() {
  local out
  out="$(python3 "$HERE/../pop3/poplib_client.py" "$HOST" "$POP3_PORT" "$USER_LOGIN" "$USER_PASSWORD" 1,2)" || return 1
  python3 - "$out" "$WORK/msg-2.eml" <<'PY' || return 1
import json, sys
seen = json.loads(sys.argv[1])
assert seen['stat'][0] == 2, seen['stat']
assert len(seen['uidl']) == 2, seen['uidl']
want = open(sys.argv[2], 'rb').read().decode('latin1').removesuffix('\r\n')
assert seen['messages'][0] == want, (seen['messages'][0], want)
assert seen['quit'].startswith('+OK'), seen['quit']
PY
  expect_eq 0 "$(inbox_count)" "messages left after poplib deleted both"
}

pop3_fetchmail_nokeep() {
  pop3_messages 4 5
  seed "$WORK/msg-4.eml" "$WORK/msg-5.eml" || return 1
  expect_eq 0 "$(fetchmail_run nokeep)" "fetchmail exit status (mail retrieved)" || { cat "$WORK/fetchmail/log"; return 1; }
  expect_eq 5 "$(mbox_count)" "messages delivered by fetchmail in all" || return 1
  expect_eq 0 "$(inbox_count)" "messages left on the server (no keep)"
}

suite_pop3() {
  pop3_messages 1 3
  check "seed 3 messages over IMAP" seed "$WORK/msg-1.eml" "$WORK/msg-2.eml" "$WORK/msg-3.eml"
  check "curl pop3:// lists the messages with their sizes" pop3_curl_list
  check "curl pop3:// retrieves a message byte for byte (dot-stuffed lines included)" pop3_curl_retr
  check "curl pop3:// UIDL is the same in two sessions" pop3_curl_uidl
  check "fetchmail (UIDL, keep) downloads all 3 and leaves them" pop3_fetchmail_keep
  check "fetchmail (UIDL, keep) run again downloads nothing new" pop3_fetchmail_uidl_again
  check "curl pop3:// DELE removes one message" pop3_curl_dele
  check "Python poplib downloads both and deletes them" pop3_poplib
  check "fetchmail (UIDL, no keep) downloads 2 new messages and deletes them" pop3_fetchmail_nokeep
}
