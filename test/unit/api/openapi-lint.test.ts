import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildOpenApiDocument } from '../../../src/api/openapi';
import { WEBHOOK_HEADERS } from '../../../src/events/signing';
import { changeEventSchema } from '../../../src/events/types';

const run = promisify(execFile);
const REDOCLY = require.resolve('@redocly/cli/bin/cli.js');

interface LintProblem {
  readonly ruleId: string;
  readonly severity: 'error' | 'warn';
  readonly message: string;
}

/** `redocly lint` with its recommended rules, offline: its problems, as its JSON report lists them. */
async function redoclyLint(document: object): Promise<LintProblem[]> {
  const dir = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    const { stdout } = await run(
      process.execPath,
      [REDOCLY, 'lint', file, '--format=json', '--extends=recommended'],
      {
        cwd: dir,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    return (JSON.parse(stdout) as { problems: LintProblem[] }).problems;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the OpenAPI document', () => {
  const document = buildOpenApiDocument() as {
    servers: unknown[];
    info: { license: { name: string } };
    webhooks: Record<string, { post: Record<string, unknown> }>;
    components: { schemas: Record<string, { required?: string[] }> };
  };

  test('passes redocly lint without an error', async () => {
    const problems = await redoclyLint(document);
    expect(problems.filter((problem) => problem.severity === 'error')).toEqual([]);
  }, 60_000);

  test('names its servers and license and describes the change event under webhooks', () => {
    expect(document.servers.length).toBeGreaterThan(0);
    expect(document.info.license.name).toBeTruthy();
    const post = document.webhooks.destinationChanged.post as {
      parameters: { name: string; in: string; required: boolean }[];
      requestBody: { content: Record<string, { schema: { $ref: string } }> };
    };
    expect(post.parameters.map((header) => [header.name, header.in, header.required])).toEqual(
      Object.values(WEBHOOK_HEADERS).map((name) => [name, 'header', true]),
    );
    expect(post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/ChangeEvent',
    );
    expect(document.components.schemas.ChangeEvent.required).toEqual(
      expect.arrayContaining(Object.keys(changeEventSchema.shape)),
    );
  });

  test('the lint does fail a document with an error (so a pass above means something)', async () => {
    const broken = { ...document, servers: [] };
    const problems = await redoclyLint(broken);
    expect(problems).toContainEqual(
      expect.objectContaining({ ruleId: 'no-empty-servers', severity: 'error' }),
    );
  }, 60_000);
});
