#!/usr/bin/env bash
# Re-extracts the engine's messages and updates every catalogue, then compiles them (commit the .po and .mo files).
# Adding a language: .venv/bin/pybabel init -i surveypress/locale/messages.pot -d surveypress/locale -l <locale>
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
"$BIN/pybabel" extract -F babel.cfg -k N_ --omit-header --no-location --sort-output -o surveypress/locale/messages.pot .
"$BIN/pybabel" update -i surveypress/locale/messages.pot -d surveypress/locale --no-wrap --no-fuzzy-matching --ignore-pot-creation-date
"$BIN/pybabel" compile -d surveypress/locale --use-fuzzy --statistics
