#!/usr/bin/env bash
# What the test suite needs from Debian beyond PostgreSQL and Redis (`make test` runs this first):
# dovecot-imapd, the real IMAP server the e-mail channel's tests start themselves
# (tests/fixtures/dovecot.py, on a free localhost port with a config of their own).
#
# Installed only when `dovecot` is missing, as root (a clear error otherwise). Debian's postinst
# would start a system dovecot bound to 143/993: a policy-rc.d answering 101 forbids that while
# the package installs, and a system dovecot left running anyway is stopped. Nothing here touches a
# dovecot the tests start (they never use /etc/dovecot or /run/dovecot).
set -euo pipefail

if command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo >&2 "error: the tests need Debian's dovecot-imapd (a real IMAP server they start themselves), and"
  echo >&2 "       installing it needs root. Run as root:"
  echo >&2 "         apt-get install -y --no-install-recommends dovecot-imapd"
  echo >&2 "       (or run this script, scripts/test_services.sh, as root), then make test again."
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo >&2 "error: the tests need dovecot (dovecot-imapd on Debian): install it with your system's packages."
  exit 1
fi

policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then
  saved="$(mktemp)"
  cp -p "$policy" "$saved"
fi
restore() {
  if [ -n "$saved" ]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi
}
trap restore EXIT
printf '#!/bin/sh\n# scripts/test_services.sh: no service starts while packages install\nexit 101\n' > "$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
echo "installing dovecot-imapd (the IMAP server the tests start)..."
if ! apt-get install -y -q --no-install-recommends dovecot-imapd >/tmp/sellercare-apt.log 2>&1; then
  # A fresh machine may have no package lists yet.
  apt-get update -q >>/tmp/sellercare-apt.log 2>&1 || true
  if ! apt-get install -y -q --no-install-recommends dovecot-imapd >>/tmp/sellercare-apt.log 2>&1; then
    tail -20 /tmp/sellercare-apt.log >&2
    echo >&2 "error: apt-get could not install dovecot-imapd (log: /tmp/sellercare-apt.log)."
    exit 1
  fi
fi

# Whatever started anyway (no policy-rc.d honoured, a systemd machine): a system dovecot stays stopped.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl stop dovecot.service dovecot.socket >/dev/null 2>&1 || true
  systemctl disable dovecot.service dovecot.socket >/dev/null 2>&1 || true
fi
if [ -e /run/dovecot/master.pid ] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
  /usr/sbin/dovecot -c /etc/dovecot/dovecot.conf stop >/dev/null 2>&1 || kill "$(cat /run/dovecot/master.pid)" || true
fi
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || { echo >&2 "error: dovecot is still missing"; exit 1; }
echo "dovecot-imapd installed ($(/usr/sbin/dovecot --version))"
