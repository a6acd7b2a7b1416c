#!/usr/bin/env bash
# The whole test run: dependencies, lint, type-check, build, jest (JSON report in reports/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-test-deps.sh
npm run --silent lint
npm run --silent typecheck
npm run --silent build
mkdir -p reports
rc=0
# two suites at a time even on two cores (jest's default there is one): most of a suite's time is
# spent waiting on processes, faults and timers, not computing
NODE_OPTIONS=--experimental-vm-modules npx jest --json --outputFile=reports/jest.json --forceExit --maxWorkers=2 "$@" || rc=$?
node scripts/jest-summary.js reports/jest.json
exit $rc
