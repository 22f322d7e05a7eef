import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describeWith, PROMTOOL } from '../support/system-packages';

const run = promisify(execFile);
const RULES_DIR = join(__dirname, '..', '..', 'deploy', 'prometheus');

interface AlertRule {
  alert: string;
  expr: string;
  annotations?: Record<string, string>;
}
interface RuleTest {
  input_series: unknown[];
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
}

const rules = (
  parse(readFileSync(join(RULES_DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: AlertRule[] }[] }
).groups.flatMap((group) => group.rules);
const ruleTests = (
  parse(readFileSync(join(RULES_DIR, 'alerts.test.yml'), 'utf8')) as { tests: RuleTest[] }
).tests.flatMap((test) => test.alert_rule_test ?? []);

describe('the alert rules shipped in deploy/prometheus', () => {
  test.each(rules.map((rule) => [rule.alert, rule] as const))(
    '%s has a summary, a description and its runbook in docs/OPERATIONS.md',
    (alert, rule) => {
      expect(rule.annotations?.summary).toEqual(expect.any(String));
      expect(rule.annotations?.description).toEqual(expect.any(String));
      expect(rule.annotations?.runbook_url).toBe(`docs/OPERATIONS.md#${alert.toLowerCase()}`);
    },
  );

  test.each(rules.map((rule) => [rule.alert] as const))(
    '%s is tested both firing and not firing',
    (alert) => {
      const itsTests = ruleTests.filter((test) => test.alertname === alert);
      expect(itsTests.some((test) => (test.exp_alerts ?? []).length > 0)).toBe(true);
      expect(itsTests.some((test) => (test.exp_alerts ?? []).length === 0)).toBe(true);
    },
  );
});

describeWith(PROMTOOL)('promtool', () => {
  test('checks the rules: they parse, and their expressions and templates are valid', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', 'alerts.yml'], { cwd: RULES_DIR });
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  test('passes the rules’ unit tests (alerts.test.yml)', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', 'alerts.test.yml'], {
      cwd: RULES_DIR,
    });
    expect(stdout).toContain('SUCCESS');
  });
});
