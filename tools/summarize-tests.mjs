// Print the totals of the last vitest run (written by the json reporter in CI)
// as one plain line: "vitest: N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.tmp/vitest-results.json';
let results;
try {
  results = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`[act] no test results at ${file}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
console.log(`vitest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`);
if (results.numTotalTests === 0) {
  console.error('[act] the test run executed no test');
  process.exit(1);
}
