// Prints the one closing line CI reads, from jest's --json output.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'reports/jest.json';
const r = JSON.parse(readFileSync(file, 'utf8'));
// a suite that failed to load has no failed test of its own: count it as a failure
const failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
console.log(`tests: ${r.numPassedTests} passed, ${failed} failed`);
