// Lists every skipped test with the reason it gave (`context.skip('why')`), after the default
// reporter's summary: a skip that hides a case must say so in `npm test`'s output.
import path from 'node:path';
import type { Reporter, TestCase } from 'vitest/node';

export default class SkipReporter implements Reporter {
  private readonly skipped: string[] = [];

  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.result();
    if (result.state !== 'skipped') return;
    const file = path.relative(testCase.project.config.root, testCase.module.moduleId);
    this.skipped.push(`  ${file} > ${testCase.fullName}${result.note ? ` [${result.note}]` : ''}`);
  }

  onTestRunEnd(): void {
    if (this.skipped.length === 0) return;
    console.log(`\nSkipped (${this.skipped.length}):\n${this.skipped.sort().join('\n')}`);
  }
}
