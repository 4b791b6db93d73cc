#!/usr/bin/env bash
# Starts Debian's Dovecot (apt-get install -y dovecot-imapd) in the foreground on 127.0.0.1 as a reference IMAP
# server for bench/load.ts, with users bench1..benchN@example.com in a passwd-file and maildirs in a temporary
# directory that is removed when it stops (Ctrl-C or SIGTERM).
#
#   bench/dovecot/run.sh [--port 10143] [--users 8] [--password bench] [--keep]
#
# --keep leaves the temporary directory (config, passwd, mail) in place and prints its path.
set -euo pipefail

port=10143
users=8
password=bench
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --users) users="$2"; shift 2 ;;
    --password) password="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--port N] [--users N] [--password PW] [--keep]" >&2; exit 2 ;;
  esac
done

dovecot_bin="$(command -v dovecot || true)"
if [[ -z "$dovecot_bin" && -x /usr/sbin/dovecot ]]; then dovecot_bin=/usr/sbin/dovecot; fi
if [[ -z "$dovecot_bin" ]]; then
  echo "dovecot not found: apt-get install -y dovecot-imapd" >&2
  exit 1
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base="$(mktemp -d /tmp/stratus-dovecot.XXXXXX)"
chmod 0755 "$base"
mkdir -p "$base/run" "$base/state" "$base/home"

# Dovecot never gives mail access to uid 0: as root, mail belongs to nobody and the helper processes run as
# Debian's dovecot/dovenull users; as anyone else, everything runs as that user.
if [[ "$(id -u)" -eq 0 ]]; then
  mail_uid="$(id -u nobody)"; mail_gid="$(id -g nobody)"
  internal_user=dovecot; internal_group=dovecot; login_user=dovenull
else
  mail_uid="$(id -u)"; mail_gid="$(id -g)"
  internal_user="$(id -un)"; internal_group="$(id -gn)"; login_user="$(id -un)"
fi

: > "$base/passwd"
for ((i = 1; i <= users; i++)); do
  echo "bench${i}@example.com:{PLAIN}${password}::::::" >> "$base/passwd"
  mkdir -p "$base/home/bench${i}@example.com"
done
chmod 0644 "$base/passwd"
chown -R "$mail_uid:$mail_gid" "$base/home"

sed -e "s|@BASE@|$base|g" -e "s|@PORT@|$port|g" -e "s|@MAIL_UID@|$mail_uid|g" -e "s|@MAIL_GID@|$mail_gid|g" \
  -e "s|@INTERNAL_USER@|$internal_user|g" -e "s|@INTERNAL_GROUP@|$internal_group|g" \
  -e "s|@LOGIN_USER@|$login_user|g" "$here/dovecot.conf.in" > "$base/dovecot.conf"

cleanup() {
  if [[ "$keep" -eq 1 ]]; then echo "kept $base" >&2; else rm -rf "$base"; fi
}
trap cleanup EXIT

echo "dovecot on 127.0.0.1:$port, users bench1..bench${users}@example.com / $password, data in $base" >&2
# Not exec: the EXIT trap must run after Dovecot stops. -F keeps it in the foreground; SIGTERM/SIGINT stop it.
"$dovecot_bin" -F -c "$base/dovecot.conf" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
wait "$pid" || true
wait "$pid" 2>/dev/null || true
