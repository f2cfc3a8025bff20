#!/usr/bin/env bash
# Offline checks of infra/: every .bicep file parses, and checkov's Bicep framework passes with
# no failed check and no skip without a written reason.
#
# checkov and its Bicep parser (pycep-parser) live in their own virtualenv, .checkov-venv/
# (git-ignored), made here when missing or when the pinned requirement changes.
# Usage: bash .ci/infra-check.sh     (from anywhere; exits non-zero on any problem)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

CHECKOV_REQUIREMENT='checkov>=3.3.30,<3.4'
venv="$root/.checkov-venv"
stamp="$venv/.requirement"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$CHECKOV_REQUIREMENT" ]; then
    echo "infra-check: installing $CHECKOV_REQUIREMENT into .checkov-venv/"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --quiet --disable-pip-version-check "$CHECKOV_REQUIREMENT" </dev/null
    echo "$CHECKOV_REQUIREMENT" >"$stamp"
fi

# 1. Every .bicep file parses with pycep, the parser checkov uses (checkov itself only logs a file
#    it cannot parse and goes on), and every inline skip carries its reason.
"$venv/bin/python" - infra <<'PY'
import re
import sys
from pathlib import Path

from pycep import BicepParser

SKIP = re.compile(r"checkov:skip=([A-Za-z0-9_,-]*)(.*)")
REASON = re.compile(r"^:\s*\S.{15,}")  # ": " and a sentence, not a token

files = sorted(Path(sys.argv[1]).rglob("*.bicep"))
if not files:
    sys.exit("infra-check: no .bicep files under infra/")
parser = BicepParser()
problems = []
for path in files:
    try:
        parser.parse(file_path=path)
    except Exception as exc:  # a parse error of any kind fails the check
        problems.append(f"{path}: does not parse: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = SKIP.search(line)
        if match and not (match.group(1) and REASON.match(match.group(2))):
            problems.append(f"{path}:{number}: checkov skip without a reason: {line.strip()}")
for config in (".checkov.yaml", ".checkov.yml", "infra/.checkov.yaml", "infra/.checkov.yml"):
    if Path(config).exists():
        problems.append(f"{config}: skips belong inline, next to the resource, with their reason")
for problem in problems:
    print(problem, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"infra-check: {len(files)} .bicep files parse")
PY

# 2. checkov, offline (no download of policies, no update check), with its built-in Bicep checks
#    and ours in infra/checkov/ for what they miss. Exits 1 on a failed check.
CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE \
    "$venv/bin/checkov" -d infra --framework bicep --external-checks-dir infra/checkov \
    --skip-download --quiet --compact </dev/null
echo "infra-check: checkov passed"
