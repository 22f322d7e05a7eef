import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromIni } from '@aws-sdk/credential-providers';
import { parseConfig } from '../../src/config';
import { proveAwsIdentity } from '../../src/startup-checks';
import type { Partition } from '../../src/domain/partition';
import { createLogger } from '../../src/log/logger';
import {
  createStsIdentitySource,
  IdentityMismatchError,
  IdentityUnavailableError,
  proveIdentity,
  type ExpectedPrincipal,
} from '../../src/verify/identity';
import { createS3ClientFactory } from '../../src/verify/s3-clients';
import {
  INVALID_CLIENT_TOKEN_ID,
  SERVICE_UNAVAILABLE,
  startStsStandIn,
  type StsStandIn,
} from '../support/sts-stand-in';

const ROLE = 'arn:aws:iam::123456789012:role/path/to/loader';
const SESSION = 'arn:aws:sts::123456789012:assumed-role/loader/i-0123456789abcdef0';
const ADMIN = 'arn:aws:iam::123456789012:user/admin';

const expected = (arn = ROLE, partition: Partition = 'aws'): ExpectedPrincipal => ({
  partition,
  arn,
  variable: partition === 'aws' ? 'POLICY_PRINCIPAL_ARN' : 'POLICY_PRINCIPAL_ARN_CN',
  credentialsFrom: 'the default credential chain',
});

describe('proving the bot’s AWS identity with STS over HTTP', () => {
  let sts: StsStandIn;
  let lines: string[];
  const sources: { destroy(): void }[] = [];
  const logger = () =>
    createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } });
  const source = (region = 'us-east-1') => {
    const made = createStsIdentitySource({
      endpoint: sts.endpoint,
      region,
      timeoutMs: 1000,
      credentials: {},
    });
    sources.push(made);
    return made;
  };

  beforeEach(async () => {
    sts = await startStsStandIn(SESSION);
    lines = [];
  });
  afterEach(async () => {
    for (const made of sources.splice(0)) made.destroy();
    await sts.close();
  });

  it('proves a role by its assumed-role session, and says so once', async () => {
    const proven = await proveIdentity({
      expected: [expected()],
      source: source(),
      logger: logger(),
    });

    expect(proven).toBe(true);
    expect(sts.requests).toEqual([
      expect.objectContaining({ action: 'GetCallerIdentity', signingRegion: 'us-east-1' }),
    ]);
    expect(lines.filter((line) => line.includes('AWS identity proven'))).toHaveLength(1);
  });

  it('leaves the identity unproven, with a warning, where an S3-compatible engine’s STS does not implement GetCallerIdentity', async () => {
    sts.answerError({ status: 405, code: 'MethodNotAllowed', message: 'Method Not Allowed' });

    const proven = await proveIdentity({
      expected: [expected()],
      source: source(),
      logger: logger(),
      unimplementedIsUnproven: true,
    });

    expect(proven).toBe(false);
    expect(lines.join('\n')).toContain('does not implement GetCallerIdentity');
  });

  it('still refuses to start on that answer from AWS’s own STS', async () => {
    sts.answerError({ status: 405, code: 'MethodNotAllowed', message: 'Method Not Allowed' });

    const proving = proveIdentity({ expected: [expected()], source: source(), logger: logger() });

    await expect(proving).rejects.toBeInstanceOf(IdentityUnavailableError);
  });

  it('refuses another identity, naming both ARNs and what to do', async () => {
    sts.answerCaller(ADMIN);

    const proving = proveIdentity({ expected: [expected()], source: source(), logger: logger() });

    await expect(proving).rejects.toBeInstanceOf(IdentityMismatchError);
    await expect(proving).rejects.toThrow(
      `The bot's AWS identity is ${ADMIN}, but POLICY_PRINCIPAL_ARN is ${ROLE}: `,
    );
    await expect(proving).rejects.toThrow(/Give the bot the credentials of/);
  });

  it('asks each partition in a region of its own', async () => {
    const cnRole = 'arn:aws-cn:iam::123456789012:role/loader';
    sts.answerCaller('arn:aws-cn:sts::123456789012:assumed-role/loader/s', 'cn-north-1');

    const proven = await proveIdentity({
      expected: [expected(), expected(cnRole, 'aws-cn')],
      source: source('eu-west-1'),
      logger: logger(),
    });

    expect(proven).toBe(true);
    expect(sts.requests.map((request) => request.signingRegion)).toEqual([
      'eu-west-1',
      'cn-north-1',
    ]);
  });

  it('does not retry a refusal, and gives STS’s own reason', async () => {
    sts.answerError(INVALID_CLIENT_TOKEN_ID);

    const proving = proveIdentity({ expected: [expected()], source: source(), logger: logger() });

    await expect(proving).rejects.toMatchObject({ failure: 'refused' });
    await expect(proving).rejects.toThrow(
      /refused the bot's credentials.*InvalidClientTokenId: The security token included in the request is invalid/,
    );
    expect(sts.requests).toHaveLength(1);
  });

  it('retries an STS that fails, then gives up with the cause', async () => {
    sts.answerError(SERVICE_UNAVAILABLE);

    const proving = proveIdentity({
      expected: [expected()],
      source: source(),
      logger: logger(),
      retryDelayMs: 10,
    });

    await expect(proving).rejects.toBeInstanceOf(IdentityUnavailableError);
    await expect(proving).rejects.toThrow(/did not answer \(3 tries\): ServiceUnavailable/);
    expect(sts.requests).toHaveLength(3);
  });

  it('gives up on an STS that is down, naming the refused connection', async () => {
    const from = source();
    await sts.close();

    const proving = proveIdentity({
      expected: [expected()],
      source: from,
      logger: logger(),
      retryDelayMs: 10,
    });

    await expect(proving).rejects.toMatchObject({ failure: 'unanswered' });
    await expect(proving).rejects.toThrow(/ECONNREFUSED/);
  });

  it('starts unproven, with one warning, when there is no STS to ask', async () => {
    const proven = await proveIdentity({ expected: [expected()], logger: logger() });

    expect(proven).toBe(false);
    const warnings = lines.filter((line) => JSON.parse(line).level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('STS_ENDPOINT is not');
  });
});

describe('a partition’s named profile', () => {
  let sts: StsStandIn;
  let dir: string;
  const saved = process.env.AWS_SHARED_CREDENTIALS_FILE;

  beforeAll(async () => {
    sts = await startStsStandIn('arn:aws-cn:sts::123456789012:assumed-role/loader/s');
    dir = mkdtempSync(join(tmpdir(), 's3d-profile-'));
    const file = join(dir, 'credentials');
    writeFileSync(
      file,
      '[china-loader]\naws_access_key_id = AKIACHINALOADER\naws_secret_access_key = secret\n',
    );
    process.env.AWS_SHARED_CREDENTIALS_FILE = file;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
    else process.env.AWS_SHARED_CREDENTIALS_FILE = saved;
    rmSync(dir, { recursive: true, force: true });
    await sts.close();
  });

  const config = () =>
    parseConfig({
      SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
      SLACK_SIGNING_SECRET: 'secret',
      POLICY_PRINCIPAL_ARN: ROLE,
      POLICY_PRINCIPAL_ARN_CN: 'arn:aws-cn:iam::123456789012:role/loader',
      AWS_PROFILE_CN: 'china-loader',
      STS_ENDPOINT: sts.endpoint,
    });

  it('is what proves the bot in that partition; the default chain proves it elsewhere', async () => {
    sts.answerCaller(SESSION, 'us-east-1');
    const logger = createLogger({ level: 'silent' });

    const proven = await proveAwsIdentity(config(), logger);

    expect(proven).toBe(true);
    expect(sts.requests.map((r) => [r.signingRegion, r.accessKeyId])).toEqual([
      ['us-east-1', process.env.AWS_ACCESS_KEY_ID],
      ['cn-north-1', 'AKIACHINALOADER'],
    ]);
  });

  it('is what the S3 checks of that partition’s buckets use', async () => {
    const factory = createS3ClientFactory({
      forcePathStyle: true,
      timeoutMs: 1000,
      partitionCredentials: { 'aws-cn': fromIni({ profile: 'china-loader' }) },
    });

    const china = await factory.forRegion('cn-north-1').config.credentials();
    const ireland = await factory.forRegion('eu-west-1').config.credentials();
    factory.destroy();

    expect(china.accessKeyId).toBe('AKIACHINALOADER');
    expect(ireland.accessKeyId).toBe(process.env.AWS_ACCESS_KEY_ID);
  });
});
