#!/usr/bin/env bash
# Interoperability checks with real mail clients against `stratus serve`, run as a user would run them.
#
#   npm run interop                 # every suite
#   bash test/interop/run.sh pop3   # some suites
#
# It installs the Debian tools it needs when they are missing (apt-get), starts `stratus serve` (what `npm start`
# runs, without its npm install) on a fresh data directory and free loopback ports, adds a user, and runs each
# suite's checks. Exits non-zero if any check fails; the last line is "N passed, N failed".
#
# Adding a suite: write test/interop/<name>.sh defining `suite_<name>` (and optionally `needs_<name>`, echoing the
# Debian packages it needs), then add <name> to SUITES below. Inside a suite, `check "description" command...` runs
# one check; the helpers below (seed, pop3_stat, ...) and the variables HOST, IMAP_PORT, IMAPS_PORT, POP3_PORT,
# USER_LOGIN, USER_PASSWORD, WORK, STRATUS_DATA_DIR (its tls/cert.pem is the server's certificate) are available.
set -uo pipefail

SUITES=(pop3 curl_imap mbsync offlineimap interimap)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
HOST=127.0.0.1
USER_LOGIN=interop@example.com
USER_PASSWORD='interop pass word'
PASSED=0
FAILED=0
FAILURES=()

for suite in "${SUITES[@]}"; do
  # shellcheck source=/dev/null
  source "$HERE/$suite.sh"
done
if [ $# -gt 0 ]; then SUITES=("$@"); fi

log() { printf '%s\n' "$*" >&2; }

# check "description" command... : runs the command, counts it, shows its output when it fails.
check() {
  local description="$1"
  shift
  local output
  if output="$("$@" 2>&1)"; then
    PASSED=$((PASSED + 1))
    printf 'ok   %s\n' "$description"
  else
    FAILED=$((FAILED + 1))
    FAILURES+=("$description")
    printf 'FAIL %s\n' "$description"
    printf '%s\n' "$output" | tail -n 30 | sed 's/^/     | /'
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

install_missing() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
    { "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
}

stratus() {
  (cd "$ROOT" && node --import tsx src/cli.ts "$@")
}

start_server() {
  WORK="$(mktemp -d -t stratus-interop-XXXXXX)"
  IMAP_PORT="$(free_port)"
  IMAPS_PORT="$(free_port)"
  POP3_PORT="$(free_port)"
  export STRATUS_DATA_DIR="$WORK/data" STRATUS_HOST="$HOST" STRATUS_IMAP_PORT="$IMAP_PORT" STRATUS_POP3_PORT="$POP3_PORT"
  export STRATUS_IMAPS_PORT="$IMAPS_PORT"
  export STRATUS_LMTP_PORT="$(free_port)" STRATUS_AUTH_FAILURE_DELAY_MS=10 STRATUS_LOG_LEVEL=info
  export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
  stratus user add "$USER_LOGIN" --password "$USER_PASSWORD" >/dev/null || { log "could not add the user"; exit 1; }
  (cd "$ROOT" && exec node --import tsx src/cli.ts serve) >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    if grep -q '"POP3 listening"' "$WORK/server.log" && grep -q '"IMAP listening"' "$WORK/server.log" &&
      grep -q '"IMAPS listening"' "$WORK/server.log"; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  log "stratus serve did not start:"
  cat "$WORK/server.log" >&2
  exit 1
}

stop_server() {
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [ "$FAILED" -gt 0 ] && [ -n "${WORK:-}" ]; then
    log "server log kept in $WORK/server.log"
  elif [ -n "${WORK:-}" ]; then
    rm -rf "$WORK"
  fi
}

# seed FILE... : appends each file to INBOX over IMAP (Python's imaplib).
seed() {
  python3 - "$HOST" "$IMAP_PORT" "$USER_LOGIN" "$USER_PASSWORD" "$@" <<'PY'
import imaplib, sys
host, port, user, password, files = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
imap = imaplib.IMAP4(host, port)
imap.login(user, password)
for f in files:
    with open(f, 'rb') as fh:
        typ, data = imap.append('INBOX', None, None, fh.read())
        assert typ == 'OK', data
imap.logout()
PY
}

# inbox_count : the number of messages in INBOX, as IMAP sees it.
inbox_count() {
  python3 - "$HOST" "$IMAP_PORT" "$USER_LOGIN" "$USER_PASSWORD" <<'PY'
import imaplib, sys
imap = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
imap.login(sys.argv[3], sys.argv[4])
typ, data = imap.select('INBOX', readonly=True)
print(int(data[0]))
imap.logout()
PY
}

expect_eq() { # expect_eq EXPECTED ACTUAL [what]
  if [ "$1" != "$2" ]; then
    printf 'expected %s: %q\n     got: %q\n' "${3:-value}" "$1" "$2"
    return 1
  fi
}

main() {
  local packages=(curl python3)
  for suite in "${SUITES[@]}"; do
    if declare -F "needs_$suite" >/dev/null; then read -ra more <<<"$("needs_$suite")"; packages+=("${more[@]}"); fi
  done
  install_missing "${packages[@]}" || { log "could not install ${packages[*]}"; exit 1; }
  start_server
  trap stop_server EXIT
  log "stratus serve: IMAP $HOST:$IMAP_PORT, IMAPS $HOST:$IMAPS_PORT, POP3 $HOST:$POP3_PORT, data $WORK/data"
  for suite in "${SUITES[@]}"; do
    printf '\n== %s\n' "$suite"
    "suite_$suite"
  done
  printf '\n'
  for f in "${FAILURES[@]}"; do printf 'failed: %s\n' "$f"; done
  printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
  [ "$FAILED" -eq 0 ]
}

main
