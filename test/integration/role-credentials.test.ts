import { buildTrustPolicy, formatTrustPolicy } from '../../src/domain/role-policy';
import { classifyAssumeRoleError } from '../../src/verify/bucket-access';
import {
  createRoleCredentialsSource,
  roleSessionName,
  type RoleCredentialsSource,
} from '../../src/verify/role-credentials';
import { startStsStandIn, type StsStandIn } from '../support/sts-stand-in';

const PRINCIPAL = 'arn:aws:iam::111111111111:role/s3-destination-loader';
const ROLE = {
  type: 'iam_role',
  roleArn: 'arn:aws:iam::222222222222:role/s3-destination',
  externalId: 'Zx81kq0PLmA7vR3tYc5uW9eN2bH4jD6fG8sK1oQa',
} as const;
const KEYS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'example-secret' };

describe('role credentials from STS', () => {
  let sts: StsStandIn;
  let source: RoleCredentialsSource;
  let clock: number;

  beforeAll(async () => {
    sts = await startStsStandIn(PRINCIPAL);
  });
  afterAll(() => sts.close());
  beforeEach(() => {
    sts.reset();
    sts.putRole(ROLE.roleArn, formatTrustPolicy(buildTrustPolicy(PRINCIPAL, ROLE.externalId)));
    clock = Date.now();
    source = createRoleCredentialsSource({
      endpoint: sts.endpoint,
      timeoutMs: 2000,
      credentials: { aws: KEYS },
      now: () => clock,
    });
  });
  afterEach(() => source.destroy());

  const assumeRoles = () => sts.requests.filter((request) => request.action === 'AssumeRole');

  it('assumes the role once, with its ExternalId, and reuses the credentials', async () => {
    const first = await source.credentialsFor(ROLE, 'eu-west-1', roleSessionName('T0TEST'));
    const second = await source.credentialsFor(ROLE, 'eu-west-1', roleSessionName('T0TEST'));

    expect(second).toBe(first);
    expect(assumeRoles()).toEqual([
      expect.objectContaining({
        roleArn: ROLE.roleArn,
        externalId: ROLE.externalId,
        roleSessionName: 's3-destination-T0TEST',
        signingRegion: 'eu-west-1',
      }),
    ]);
  });

  it('assumes it again within five minutes of expiry', async () => {
    const first = await source.credentialsFor(ROLE, 'us-east-1', 's');
    clock = first.expiration.getTime() - 4 * 60 * 1000;

    const again = await source.credentialsFor(ROLE, 'us-east-1', 's');

    expect(again).not.toBe(first);
    expect(assumeRoles()).toHaveLength(2);
  });

  it('assumes again for a new ExternalId: a new setup must prove its own', async () => {
    await source.credentialsFor(ROLE, 'us-east-1', 's');
    const renewed = { ...ROLE, externalId: 'AnotherSetupsExternalId0123456789abcdefgh' };

    await expect(source.credentialsFor(renewed, 'us-east-1', 's')).rejects.toMatchObject({
      name: 'AccessDenied',
    });
  });

  it('finds a trust policy that requires the ExternalId closed without it', async () => {
    expect(await source.assumableWithoutExternalId(ROLE, 'us-east-1', 's')).toBe(false);

    sts.putRole(
      ROLE.roleArn,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: PRINCIPAL }, Action: 'sts:AssumeRole' }],
      }),
    );

    expect(await source.assumableWithoutExternalId(ROLE, 'us-east-1', 's')).toBe(true);
  });

  it('keeps a session name within STS’s characters and 64 characters', () => {
    expect(roleSessionName(`E0ORG/${'x'.repeat(80)}`)).toMatch(/^s3-destination-E0ORG-x+$/);
    expect(roleSessionName(`E0ORG/${'x'.repeat(80)}`)).toHaveLength(64);
  });
});

describe('classifyAssumeRoleError', () => {
  const stsError = (name: string, status: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

  it.each([
    ['AccessDenied', 403, 'role_denied'],
    ['NoSuchEntity', 404, 'role_not_found'],
    ['RegionDisabledException', 403, 'sts_region_disabled'],
    ['InvalidClientTokenId', 403, 'no_credentials'],
    ['ExpiredToken', 400, 'no_credentials'],
    ['ServiceUnavailable', 503, 'transient'],
    ['MalformedPolicyDocument', 400, 'unexpected'],
  ])('reads %s (HTTP %d) as %s, keeping the code', (name, status, outcome) => {
    expect(classifyAssumeRoleError(stsError(name, status))).toEqual({
      outcome,
      detail: `${name}, HTTP ${status}`,
    });
  });
});
