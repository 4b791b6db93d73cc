#!/usr/bin/env bash
# Starts Debian's Dovecot (apt-get install -y dovecot-imapd) in the foreground on 127.0.0.1 as a reference IMAP
# server for bench/load.ts, with users bench1..benchN@example.com in a passwd-file and maildirs in a temporary
# directory that is removed when it stops (Ctrl-C or SIGTERM).
#
# Passwords are stored hashed, as a production Dovecot stores them and as Stratus does: `doveadm pw -s
# SCRAM-SHA-256` (PBKDF2-HMAC-SHA-256, 4096 iterations, a random salt per user: the same secret Stratus keeps,
# src/auth/scram-crypto.ts), so every plaintext LOGIN costs Dovecot a PBKDF2 of 4096 rounds.
#
#   bench/dovecot/run.sh [--port 10143] [--users 8] [--password bench] [--fts auto|xapian|none] [--keep]
#
# --fts: full-text search index for SEARCH BODY/TEXT and header searches. `xapian` appends fts-xapian.conf.in (the
# fts_xapian plugin, Debian package dovecot-fts-xapian) to the configuration; `none` runs without an index (every
# SEARCH BODY reads each message); `auto`, the default, is xapian when the plugin is installed, none otherwise.
# --keep leaves the temporary directory (config, passwd, mail) in place and prints its path.
set -euo pipefail

port=10143
users=8
password=bench
keep=0
fts=auto
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --users) users="$2"; shift 2 ;;
    --password) password="$2"; shift 2 ;;
    --fts) fts="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--port N] [--users N] [--password PW] [--fts auto|xapian|none] [--keep]" >&2; exit 2 ;;
  esac
done

dovecot_bin="$(command -v dovecot || true)"
if [[ -z "$dovecot_bin" && -x /usr/sbin/dovecot ]]; then dovecot_bin=/usr/sbin/dovecot; fi
if [[ -z "$dovecot_bin" ]]; then
  echo "dovecot not found: apt-get install -y dovecot-imapd" >&2
  exit 1
fi
doveadm_bin="$(command -v doveadm || true)"
if [[ -z "$doveadm_bin" && -x /usr/bin/doveadm ]]; then doveadm_bin=/usr/bin/doveadm; fi
if [[ -z "$doveadm_bin" ]]; then
  echo "doveadm not found (package dovecot-core)" >&2
  exit 1
fi

# The plugin is a module in Dovecot's module directory (Debian: /usr/lib/dovecot/modules).
doveconf_bin="$(command -v doveconf || true)"
plugin_dir=/usr/lib/dovecot/modules
if [[ -n "$doveconf_bin" ]]; then plugin_dir="$("$doveconf_bin" -c /dev/null -h mail_plugin_dir 2>/dev/null || echo "$plugin_dir")"; fi
xapian_plugin="$plugin_dir/lib21_fts_xapian_plugin.so"
case "$fts" in
  auto) if [[ -f "$xapian_plugin" ]]; then fts=xapian; else fts=none; fi ;;
  xapian)
    if [[ ! -f "$xapian_plugin" ]]; then
      echo "--fts xapian: $xapian_plugin not found: apt-get install -y dovecot-fts-xapian" >&2
      exit 1
    fi ;;
  none) ;;
  *) echo "--fts must be auto, xapian or none, not '$fts'" >&2; exit 2 ;;
esac

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
  # "{SCRAM-SHA-256}4096,<salt>,<StoredKey>,<ServerKey>" (Dovecot 2.3's fixed SCRAM iteration count is 4096).
  hash="$("$doveadm_bin" pw -s SCRAM-SHA-256 -p "$password")"
  if [[ "$hash" != "{SCRAM-SHA-256}4096,"* ]]; then
    echo "doveadm pw gave an unexpected hash: $hash" >&2
    exit 1
  fi
  echo "bench${i}@example.com:${hash}::::::" >> "$base/passwd"
  mkdir -p "$base/home/bench${i}@example.com"
done
chmod 0644 "$base/passwd"
chown -R "$mail_uid:$mail_gid" "$base/home"

sed -e "s|@BASE@|$base|g" -e "s|@PORT@|$port|g" -e "s|@MAIL_UID@|$mail_uid|g" -e "s|@MAIL_GID@|$mail_gid|g" \
  -e "s|@INTERNAL_USER@|$internal_user|g" -e "s|@INTERNAL_GROUP@|$internal_group|g" \
  -e "s|@LOGIN_USER@|$login_user|g" "$here/dovecot.conf.in" > "$base/dovecot.conf"
if [[ "$fts" == xapian ]]; then
  { echo; cat "$here/fts-xapian.conf.in"; } >> "$base/dovecot.conf"
fi

cleanup() {
  if [[ "$keep" -eq 1 ]]; then echo "kept $base" >&2; else rm -rf "$base"; fi
}
trap cleanup EXIT

echo "dovecot on 127.0.0.1:$port, users bench1..bench${users}@example.com / $password (stored as SCRAM-SHA-256, 4096 iterations), data in $base" >&2
if [[ "$fts" == xapian ]]; then
  echo "full-text search: xapian (fts_xapian plugin, $xapian_plugin; fts_autoindex = yes, fts_enforced = yes)" >&2
else
  echo "full-text search: none (no FTS plugin: SEARCH BODY reads every message)" >&2
fi
# Not exec: the EXIT trap must run after Dovecot stops. -F keeps it in the foreground; SIGTERM/SIGINT stop it.
"$dovecot_bin" -F -c "$base/dovecot.conf" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
wait "$pid" || true
wait "$pid" 2>/dev/null || true
