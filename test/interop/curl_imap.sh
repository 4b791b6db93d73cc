# The curl suite of test/interop/run.sh: curl lists, fetches and appends over imap:// and over imaps:// (implicit
# TLS, verified against the self-signed certificate the server made in its data directory).

curl_imap() { # curl_imap URL-SCHEME PORT PATH [curl args...]
  local scheme="$1" port="$2" path="$3"
  shift 3
  curl --silent --show-error --max-time 30 --cacert "$STRATUS_DATA_DIR/tls/cert.pem" --user "$USER_LOGIN:$USER_PASSWORD" \
    "$scheme://$HOST:$port/$path" "$@"
}

curl_imap_list() { # curl_imap_list SCHEME PORT
  local listing
  listing="$(curl_imap "$1" "$2" '' | tr -d '\r')" || return 1
  printf '%s\n' "$listing" | grep -q '"INBOX"\|INBOX$' || { printf 'no INBOX in:\n%s\n' "$listing"; return 1; }
}

curl_imap_append_fetch() { # curl_imap_append_fetch SCHEME PORT : appends a message, then fetches it back by UID
  local scheme="$1" port="$2" subject="curl over $1 $RANDOM" before after uid body
  printf 'From: curl <curl@example.org>\r\nTo: %s\r\nSubject: %s\r\n\r\nSent by curl.\r\n' "$USER_LOGIN" "$subject" >"$WORK/curl-$scheme.eml"
  before="$(inbox_count)"
  curl_imap "$scheme" "$port" INBOX -T "$WORK/curl-$scheme.eml" || return 1
  after="$(inbox_count)"
  expect_eq "$((before + 1))" "$after" "INBOX count after APPEND" || return 1
  uid="$(curl_imap "$scheme" "$port" INBOX -X 'UID SEARCH ALL' | tr -d '\r' | awk '/^\* SEARCH/ { print $NF }')"
  [ -n "$uid" ] || { echo "UID SEARCH found nothing"; return 1; }
  body="$(curl_imap "$scheme" "$port" "INBOX;UID=$uid" | tr -d '\r')" || return 1
  printf '%s\n' "$body" | grep -qF "Subject: $subject" || { printf 'fetched message is not the appended one:\n%s\n' "$body"; return 1; }
}

suite_curl_imap() {
  check "curl imap:// lists mailboxes" curl_imap_list imap "$IMAP_PORT"
  check "curl imap:// appends and fetches a message" curl_imap_append_fetch imap "$IMAP_PORT"
  check "curl imaps:// lists mailboxes (certificate verified)" curl_imap_list imaps "$IMAPS_PORT"
  check "curl imaps:// appends and fetches a message" curl_imap_append_fetch imaps "$IMAPS_PORT"
}
