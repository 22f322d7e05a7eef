import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  brokenLink,
  headingAnchors,
  linksIn,
  markdownFiles,
  REPO_ROOT,
} from '../support/markdown-links';

/**
 * The trust model's page is written apart from the rest of the docs: a link to it may point at
 * it before it exists, never at one of its headings.
 */
const WRITTEN_APART = new Set(['docs/SECURITY.md']);

describe('heading anchors, as GitHub makes them', () => {
  test('lower-case, punctuation dropped, spaces become hyphens', () => {
    expect(headingAnchors('## Many workspaces (OAuth)\n### Check and Save: the checks')).toEqual([
      'many-workspaces-oauth',
      'check-and-save-the-checks',
    ]);
  });

  test('code, links and emphasis count by their text; underscores and hyphens stay', () => {
    expect(
      headingAnchors('## Create the Slack app from `manifest.yml`\n## The [API](x.md) **now**'),
    ).toEqual(['create-the-slack-app-from-manifestyml', 'the-api-now']);
    expect(headingAnchors('## `MONITOR_INTERVAL_SECONDS` and s3-destination')).toEqual([
      'monitor_interval_seconds-and-s3-destination',
    ]);
  });

  test('a repeated heading is numbered, and headings in code blocks are none', () => {
    expect(headingAnchors('# Setup\n## Setup\n```sh\n# not a heading\n```\n## Setup')).toEqual([
      'setup',
      'setup-1',
      'setup-2',
    ]);
  });
});

describe('a link checked against the files', () => {
  test('a missing file, a missing anchor and a link out of the repository are broken', () => {
    expect(brokenLink('README.md', { target: 'docs/NOPE.md', line: 1 })).toMatch(/no such file/);
    expect(brokenLink('README.md', { target: 'docs/ARCHITECTURE.md#nope', line: 2 })).toMatch(
      /no heading/,
    );
    expect(brokenLink('docs/X.md', { target: '../../etc/passwd', line: 3 })).toMatch(/leaves/);
  });

  test('code is not a link, and web addresses are not checked', () => {
    expect(linksIn('see `[a](nowhere.md)`\n```\n[b](nowhere.md)\n```\n[c](https://x)')).toEqual([
      { target: 'https://x', line: 5 },
    ]);
  });
});

describe.each(markdownFiles())('%s', (file) => {
  test('every relative link resolves, anchors included', () => {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    const broken = linksIn(text).flatMap((link) => brokenLink(file, link, WRITTEN_APART) ?? []);
    expect(broken).toEqual([]);
  });
});

test('every alert’s runbook_url names a section of docs/OPERATIONS.md', () => {
  const rules = (
    parse(readFileSync(join(REPO_ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as {
      groups: { rules: { alert: string; annotations: { runbook_url: string } }[] }[];
    }
  ).groups.flatMap((group) => group.rules);
  const broken = rules.flatMap(
    (rule) => brokenLink('README.md', { target: rule.annotations.runbook_url, line: 0 }) ?? [],
  );
  expect(rules.length).toBeGreaterThan(0);
  expect(broken).toEqual([]);
});
