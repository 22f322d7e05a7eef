import {
  callerIsPrincipal,
  parseIamPrincipal,
  principalForRegion,
  servedPartitions,
} from '../../../src/domain/principal';

const AWS = { s3Compatible: false };
const S3_COMPATIBLE = { s3Compatible: true };

describe('parseIamPrincipal', () => {
  it.each([
    ['arn:aws:iam::123456789012:role/loader', 'role', '/', 'loader'],
    ['arn:aws:iam::123456789012:role/path/to/loader', 'role', '/path/to/', 'loader'],
    ['arn:aws-cn:iam::123456789012:user/etl+bot=1,a.b@c_d-e', 'user', '/', 'etl+bot=1,a.b@c_d-e'],
    [`arn:aws:iam::123456789012:role/${'r'.repeat(64)}`, 'role', '/', 'r'.repeat(64)],
  ])('reads %s', (arn, kind, path, name) => {
    const parsed = parseIamPrincipal(arn, AWS);

    expect(parsed).toEqual({
      ok: true,
      principal: expect.objectContaining({ account: '123456789012', kind, path, name }),
    });
  });

  it.each([
    ['loader-role', /IAM role or user ARN such as/],
    ['arn:aws:iam::123456789012:role//x', /empty path segment/],
    ['arn:aws:iam::123456789012:role/path/', /ends with "\/": the role name is missing/],
    ['arn:aws:iam::123456789012:role/', /empty role name/],
    ['arn:aws:iam::123456789012:user/', /empty user name/],
    [`arn:aws:iam::123456789012:role/${'r'.repeat(65)}`, /65 characters; IAM allows at most 64/],
    [`arn:aws:iam::123456789012:user/${'u'.repeat(65)}`, /user name of 65 characters/],
    [`arn:aws:iam::123456789012:role/${'p'.repeat(511)}/loader`, /path of 513 characters/],
    ['arn:aws:iam::123456789012:role/load er', /characters IAM does not allow/],
    ['arn:aws:iam::123456789012:role/pa th/loader', /path with characters/],
    ['arn:aws:iam:::role/loader', /has no account id/],
    ['arn:aws:iam::12345:role/loader', /12-digit AWS account id, not "12345"/],
    ['arn:aws:iam::tenant:user/loader', /12-digit AWS account id, not "tenant"/],
    ['arn:aws:iam::123456789012:group/loaders', /must name a role or a user/],
    ['arn:aws:iam::123456789012:root', /must name a role or a user/],
    ['arn:aws:s3:::bucket', /must be an IAM ARN/],
    ['arn:aws:iam:us-east-1:123456789012:role/loader', /must have no region/],
    ['arn:aws:sts::123456789012:assumed-role/loader/session', /STS session ARN/],
  ])('refuses %s', (arn, problem) => {
    const parsed = parseIamPrincipal(arn, AWS);

    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problem).toMatch(problem);
  });

  it.each([
    ['arn:aws:iam:::user/loader', ''],
    ['arn:aws:iam::tenant:user/loader', 'tenant'],
    ['arn:aws:iam::123456789012:role/loader', '123456789012'],
  ])('accepts %s on an S3-compatible engine', (arn, account) => {
    expect(parseIamPrincipal(arn, S3_COMPATIBLE)).toEqual({
      ok: true,
      principal: expect.objectContaining({ account }),
    });
  });

  it('still refuses a malformed name on an S3-compatible engine', () => {
    expect(parseIamPrincipal('arn:aws:iam:::user/', S3_COMPATIBLE).ok).toBe(false);
  });
});

describe('callerIsPrincipal', () => {
  const ROLE = 'arn:aws:iam::123456789012:role/path/to/loader';

  it('matches a session of the role, whose ARN has no path', () => {
    expect(callerIsPrincipal('arn:aws:sts::123456789012:assumed-role/loader/i-0abc123', ROLE)).toBe(
      true,
    );
  });

  it('matches a user only with itself', () => {
    const user = 'arn:aws:iam::123456789012:user/division/loader';

    expect(callerIsPrincipal(user, user)).toBe(true);
    expect(callerIsPrincipal('arn:aws:iam::123456789012:user/loader', user)).toBe(false);
  });

  it.each([
    ['another account', 'arn:aws:sts::999999999999:assumed-role/loader/s'],
    ['another partition', 'arn:aws-cn:sts::123456789012:assumed-role/loader/s'],
    ['another role name', 'arn:aws:sts::123456789012:assumed-role/admin/s'],
    ['a role name that only starts the same', 'arn:aws:sts::123456789012:assumed-role/loader2/s'],
    ['an administrator user', 'arn:aws:iam::123456789012:user/admin'],
    ['the account root', 'arn:aws:iam::123456789012:root'],
    ['the role ARN itself', ROLE],
  ])('does not match %s', (_name, caller) => {
    expect(callerIsPrincipal(caller, ROLE)).toBe(false);
  });

  it('matches a China role in its own partition', () => {
    expect(
      callerIsPrincipal(
        'arn:aws-cn:sts::123456789012:assumed-role/loader/s',
        'arn:aws-cn:iam::123456789012:role/loader',
      ),
    ).toBe(true);
  });
});

describe('principalForRegion', () => {
  const settings = {
    principals: {
      aws: 'arn:aws:iam::123456789012:role/loader',
      'aws-cn': 'arn:aws-cn:iam::123456789012:role/loader',
    },
  };

  it.each([
    ['us-east-1', 'arn:aws:iam::123456789012:role/loader'],
    ['eu-west-1', 'arn:aws:iam::123456789012:role/loader'],
    ['cn-northwest-1', 'arn:aws-cn:iam::123456789012:role/loader'],
    ['us-gov-west-1', undefined],
  ])('gives a bucket in %s the principal %s', (region, expected) => {
    expect(principalForRegion(settings, region)).toBe(expected);
  });

  it('lists the partitions served, in the picker’s order', () => {
    expect(servedPartitions({ 'aws-us-gov': 'x', aws: 'y' })).toEqual(['aws', 'aws-us-gov']);
  });
});
