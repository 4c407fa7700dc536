#!/usr/bin/env bash
# Installs PgBouncer for test/db/pgbouncer.test.ts, which starts a private pgbouncer process of
# its own (never the system service). Idempotent: an installed pgbouncer is kept as it is.
# Debian and Ubuntu only (apt-get), as root or with passwordless sudo; anywhere else it stops
# with a message saying what to do, exit code 1.
set -euo pipefail

say() { echo "install-pgbouncer: $*"; }
cannot() {
  echo "install-pgbouncer: cannot install PgBouncer: $*" >&2
  echo "install-pgbouncer: install it by hand (Debian/Ubuntu: apt-get install pgbouncer), or point PGBOUNCER at its binary" >&2
  exit 1
}

# $PGBOUNCER, when set, names the binary to use and nothing is installed (the test then uses
# only it).
if [ -n "${PGBOUNCER:-}" ]; then
  [ -x "$PGBOUNCER" ] || cannot "PGBOUNCER is set to $PGBOUNCER, which is not an executable file"
  say "PGBOUNCER is set: $PGBOUNCER ($("$PGBOUNCER" --version | head -n 1))"
  exit 0
fi

# The test looks in the same places: PATH, then /usr/sbin (Debian's package puts it there,
# which is not on every user's PATH).
installed() {
  command -v pgbouncer 2>/dev/null && return 0
  if [ -x /usr/sbin/pgbouncer ]; then echo /usr/sbin/pgbouncer; return 0; fi
  return 1
}

if bin=$(installed); then
  say "already installed: $bin ($("$bin" --version | head -n 1))"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || cannot "apt-get not found (this script knows Debian and Ubuntu only)"

if [ "$(id -u)" -eq 0 ]; then
  as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root() { sudo -n "$@"; }
else
  cannot "not running as root, and sudo is missing or asks for a password"
fi

# The package's maintainer script would start the system service (port 6432); nothing here
# uses it. Debian's policy-rc.d convention (exit 101) stops invoke-rc.d from starting it,
# unless the machine already has a policy of its own.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
  trap 'as_root rm -f "$policy"' EXIT
fi

apt_install() { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer; }
# A fresh machine has no package lists yet: update only when the install cannot find the package.
if ! apt_install >/dev/null 2>&1; then
  say "updating the package lists"
  as_root apt-get update -qq || cannot "apt-get update failed (no network or no package source?)"
  apt_install || cannot "apt-get install pgbouncer failed (see above)"
fi

bin=$(installed) || cannot "the package installed, but no pgbouncer binary was found"
say "installed: $bin ($("$bin" --version | head -n 1))"
