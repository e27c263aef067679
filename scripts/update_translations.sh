#!/usr/bin/env bash
# Re-extract the messages and merge them into the Danish and English catalogues.
# New messages arrive untranslated; the test suite fails until both are filled in.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
"$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location \
  --sort-output -o survey_app/translations/messages.pot .
for lang in da en; do
  if [ -f "survey_app/translations/$lang/LC_MESSAGES/messages.po" ]; then
    "$PYBABEL" update -i survey_app/translations/messages.pot -d survey_app/translations -l "$lang" \
      --no-fuzzy-matching --ignore-obsolete
  else
    "$PYBABEL" init -i survey_app/translations/messages.pot -d survey_app/translations -l "$lang"
  fi
done
