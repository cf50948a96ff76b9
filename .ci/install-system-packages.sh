#!/bin/sh
# Installs the Debian packages Callwright needs.
#   runtime: espeak-ng (offline text-to-speech for prompts and whispers), pocketsphinx with its US
#            English model and Python module (offline speech recognition)
#   test:    runtime + sip-tester (sipp) + baresip-core + sox (real SIP peers and audio checks)
#            + chromium (the dashboard and browser-phone tests drive it with playwright-core)
#            + kamailio (the dispatcher in front of several nodes, test/e2e/cluster/; the tests run their
#            own kamailio process on their own ports, so the system service the package installs is
#            stopped and disabled: nothing of ours listens on 5060)
#            + postgresql (the store's PostgreSQL tests start a throwaway server of their own from its
#            binaries, on a temporary data directory and port; the packaged cluster service is stopped
#            and disabled likewise: nothing of ours listens on 5432)
# Needs root (or sudo) only when something is missing.
set -eu
profile="${1:-runtime}"
pkgs="espeak-ng pocketsphinx pocketsphinx-en-us python3-pocketsphinx"
bins="espeak-ng"
if [ "$profile" = "test" ]; then
  pkgs="$pkgs sip-tester baresip-core sox chromium kamailio postgresql"
  bins="$bins sipp baresip sox chromium kamailio kamcmd"
fi
missing=""
for b in $bins; do
  command -v "$b" >/dev/null 2>&1 || missing="yes"
done
[ -f /usr/share/pocketsphinx/model/en-us/en-us/mdef ] || missing="yes"
if [ "$profile" = "test" ]; then
  # initdb and pg_ctl live in /usr/lib/postgresql/<version>/bin, not on PATH.
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="yes"
fi
/usr/bin/python3 -c 'import pocketsphinx' >/dev/null 2>&1 || missing="yes"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "callwright setup: missing system packages ($pkgs) and not root; install them with apt-get" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
if [ "$profile" = "test" ]; then
  # Some setups start the packaged service on install (Debian's postinst, where policy-rc.d allows it).
  if command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl stop kamailio >/dev/null 2>&1 || true
    $SUDO systemctl disable kamailio >/dev/null 2>&1 || true
    $SUDO systemctl stop postgresql >/dev/null 2>&1 || true
    $SUDO systemctl disable postgresql >/dev/null 2>&1 || true
  fi
  if [ -x /etc/init.d/kamailio ]; then
    $SUDO /etc/init.d/kamailio stop >/dev/null 2>&1 || true
  fi
  if [ -x /etc/init.d/postgresql ]; then
    $SUDO /etc/init.d/postgresql stop >/dev/null 2>&1 || true
  fi
fi
