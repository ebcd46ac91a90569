#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what is missing, checks types,
# lint and formatting, builds, then runs jest against a real registry, Redis, skopeo and dockerd.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/local/prerequisites.sh test

npx tsc --noEmit -p .
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
npm run --silent build

results=$(mktemp)
status=0
npx jest --ci --json --outputFile="$results" "$@" || status=$?

# One closing line in the plain form CI reads: "N passed, N failed, N skipped".
[ -s "$results" ] && node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  // A file that failed to run counts as a failure: its tests never ran.
  const failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
  console.log(`jest: ${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$results"
rm -f "$results"
exit "$status"
