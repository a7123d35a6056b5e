#!/usr/bin/env bash
# Checks and tests the Rego policies:
#   1. opa fmt: policies/ and policy-tests/ are formatted
#   2. no object.keys() in policies/ (quadratic in WASM, see policies/lib/body.rego)
#   3. opa check --strict: policies/ compile with the bundle's capabilities (only builtins the
#      WASM target and the Node SDK provide); policy-tests/ compile with the policies
#   4. regal lint, when tools/bin/regal is installed
#   5. opa test with coverage: every test passes and policies/ coverage is at least
#      POLICY_MIN_COVERAGE percent (default 90)
#
# policies/build/ (the built bundle) is always ignored: opa would otherwise load the bundle's
# copy of every rule next to the sources.
set -euo pipefail

# shellcheck source=scripts/opa-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/opa-env.sh" test-policy
REGAL="$ROOT/tools/bin/regal"
MIN_COVERAGE="${POLICY_MIN_COVERAGE:-90}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "opa fmt"
if ! "$OPA" fmt --list --fail policies/ policy-tests/ >"$tmp/fmt" 2>&1; then
  cat "$tmp/fmt" >&2
  echo "test-policy: files above need 'tools/bin/opa fmt -w policies/ policy-tests/'" >&2
  exit 1
fi

# object.keys() over request data is quadratic in the WASM target; see policies/lib/body.rego.
echo "quadratic helpers"
if grep -rnE --include='*.rego' '^[^#]*object\.keys\(' policies/ | grep -v '^policies/build/'; then
  echo "test-policy: object.keys() is quadratic in WASM; iterate with 'every key, _ in obj' instead" >&2
  exit 1
fi

echo "opa check"
"$OPA" check --strict --capabilities "$CAPABILITIES" --ignore build policies/
"$OPA" check --strict --ignore build policies/ policy-tests/

if [ -x "$REGAL" ]; then
  echo "regal lint"
  "$REGAL" lint policies/ policy-tests/
else
  echo "regal lint: skipped (tools/bin/regal not installed)"
fi

echo "opa test"
set +e
"$OPA" test --ignore build --format=json policies/ policy-tests/ >"$tmp/results.json" 2>"$tmp/results.err"
test_status=$?
"$OPA" test --ignore build --coverage --format=json policies/ policy-tests/ >"$tmp/coverage.json" 2>>"$tmp/results.err"
set -e

node - "$tmp/results.json" "$tmp/coverage.json" "$MIN_COVERAGE" "$test_status" "$tmp/results.err" <<'NODE'
const fs = require('fs');
const [resultsFile, coverageFile, minCoverage, testStatus, stderrFile] = process.argv.slice(2);

let results;
try {
  results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
} catch (err) {
  console.error(`test-policy: could not read opa test results (${err.message})`);
  console.error(fs.readFileSync(resultsFile, 'utf8'));
  process.exit(1);
}

// Data-driven tests (test_x[name]) report one sub-result per case: count the cases.
let passed = 0;
const failed = [];
function visit(result, name) {
  const subs = Object.values(result.sub_results || {});
  if (subs.length > 0) {
    subs.forEach((sub) => visit(sub, `${name} / ${sub.name}`));
    return;
  }
  if (result.skip) return;
  if (result.fail || result.error) failed.push(result.error ? `${name}: ${JSON.stringify(result.error)}` : name);
  else passed += 1;
}
for (const r of results) visit(r, `${r.package}.${r.name}`);

for (const name of failed) console.error(`  FAIL ${name}`);
if (failed.length > 0 || testStatus !== '0') {
  const stderr = fs.readFileSync(stderrFile, 'utf8').trim();
  if (stderr) console.error(stderr);
  console.log(`policy tests: ${passed} passed, ${failed.length} failed`);
  process.exit(1);
}

// Coverage of the policies only (the coverage report also counts the test files).
let covered = 0;
let notCovered = 0;
try {
  const report = JSON.parse(fs.readFileSync(coverageFile, 'utf8'));
  for (const [file, fileReport] of Object.entries(report.files || {})) {
    if (!file.startsWith('policies/')) continue;
    const count = (ranges) => (ranges || []).reduce((n, r) => n + r.end.row - r.start.row + 1, 0);
    covered += count(fileReport.covered);
    notCovered += count(fileReport.not_covered);
    if ((fileReport.not_covered || []).length > 0) {
      const lines = fileReport.not_covered.map((r) => `${r.start.row}-${r.end.row}`).join(', ');
      console.log(`  not covered: ${file}: ${lines}`);
    }
  }
} catch (err) {
  console.error(`test-policy: could not read the coverage report (${err.message})`);
  process.exit(1);
}
const total = covered + notCovered;
const coverage = total === 0 ? 0 : (100 * covered) / total;

console.log(`policy tests: ${passed} passed, 0 failed; coverage ${coverage.toFixed(1)}%`);
if (coverage < Number(minCoverage)) {
  console.error(`test-policy: coverage ${coverage.toFixed(1)}% is below ${minCoverage}%`);
  process.exit(1);
}
NODE
