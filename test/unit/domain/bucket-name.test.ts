import { bucketNameProblems, suggestBucketName } from '../../../src/domain/bucket-name';

describe('bucketNameProblems', () => {
  it.each([
    ['the shortest allowed name (3 characters)', 'abc'],
    ['the longest allowed name (63 characters)', 'a'.repeat(63)],
    ['digits, dots and hyphens inside', 'my-bucket.2024-logs'],
    ['a name that starts and ends with digits', '1-bucket-2'],
    ['single dots between labels', 'logs.example.com'],
    ['a name with only three IP-like groups', '192.168.5'],
    ['a name with five IP-like groups', '192.168.5.4.1'],
    ['a name that merely contains a reserved prefix later on', 'my-xn--bucket'],
    ['a name that merely contains a reserved suffix earlier on', 'my-s3alias-bucket'],
  ])('accepts %s', (_case, name) => {
    const problems = bucketNameProblems(name);

    expect(problems).toEqual([]);
  });

  it.each([
    ['an empty name', '', 'Enter a bucket name.'],
    ['2 characters', 'ab', 'Bucket names are 3 to 63 characters long; this one has 2.'],
    ['64 characters', 'a'.repeat(64), 'Bucket names are 3 to 63 characters long; this one has 64.'],
    [
      'uppercase letters',
      'My-Bucket',
      'Bucket names use lowercase letters only: write "M" and "B" as "m" and "b".',
    ],
    ['an underscore', 'my_bucket', 'Bucket names can\'t contain "_".'],
    ['several invalid characters', 'my_b!éucket', 'Bucket names can\'t contain "_", "!" or "é".'],
    ['a space inside', 'my bucket', "Bucket names can't contain a space."],
    ['a tab inside', 'my\tbucket', "Bucket names can't contain whitespace."],
    ['a leading hyphen', '-bucket', 'Start the name with a letter or a digit, not "-".'],
    ['a leading dot', '.bucket', 'Start the name with a letter or a digit, not ".".'],
    ['a trailing hyphen', 'bucket-', 'End the name with a letter or a digit, not "-".'],
    ['a trailing dot', 'bucket.', 'End the name with a letter or a digit, not ".".'],
    ['two adjacent dots', 'my..bucket', 'Bucket names can\'t contain two dots in a row ("..").'],
    [
      'an IP address',
      '192.168.5.4',
      "Bucket names can't look like an IP address (such as 192.168.5.4).",
    ],
    [
      'an IP-shaped name out of range',
      '999.999.999.999',
      "Bucket names can't look like an IP address (such as 192.168.5.4).",
    ],
    ['the prefix xn--', 'xn--bucket', 'Bucket names can\'t start with "xn--": S3 reserves it.'],
    [
      'the prefix sthree-',
      'sthree-bucket',
      'Bucket names can\'t start with "sthree-": S3 reserves it.',
    ],
    [
      'the prefix amzn-s3-demo-',
      'amzn-s3-demo-bucket',
      'Bucket names can\'t start with "amzn-s3-demo-": S3 reserves it.',
    ],
    [
      'the suffix -s3alias',
      'bucket-s3alias',
      'Bucket names can\'t end with "-s3alias": S3 reserves it.',
    ],
    [
      'the suffix --ol-s3',
      'bucket--ol-s3',
      'Bucket names can\'t end with "--ol-s3": S3 reserves it.',
    ],
    ['the suffix .mrap', 'bucket.mrap', 'Bucket names can\'t end with ".mrap": S3 reserves it.'],
    ['the suffix --x-s3', 'bucket--x-s3', 'Bucket names can\'t end with "--x-s3": S3 reserves it.'],
    [
      'the suffix --table-s3',
      'bucket--table-s3',
      'Bucket names can\'t end with "--table-s3": S3 reserves it.',
    ],
  ])('rejects %s', (_case, name, expected) => {
    const problems = bucketNameProblems(name);

    expect(problems).toEqual([expected]);
  });

  it('reports every broken rule at once', () => {
    const problems = bucketNameProblems('-A_');

    expect(problems).toEqual([
      'Bucket names use lowercase letters only: write "A" as "a".',
      'Bucket names can\'t contain "_".',
      'Start the name with a letter or a digit, not "-".',
      'End the name with a letter or a digit, not "_".',
    ]);
  });

  it('says so when the name is surrounded by spaces, and judges the trimmed name', () => {
    const problems = bucketNameProblems('  my-bucket ');

    expect(problems).toEqual(['Remove the spaces around the bucket name.']);
  });

  it('asks for a name, and only that, when there is nothing but spaces', () => {
    const problems = bucketNameProblems('   ');

    expect(problems).toEqual(['Enter a bucket name.']);
  });

  it.each([
    ['an s3:// URL', 's3://my-bucket/exports/2024/file.csv', 'my-bucket'],
    ['an ARN', 'arn:aws:s3:::my-bucket/*', 'my-bucket'],
    ['a virtual-hosted URL', 'https://my-bucket.s3.us-west-2.amazonaws.com/key', 'my-bucket'],
    ['a path-style URL', 'https://s3.us-west-2.amazonaws.com/my-bucket/key', 'my-bucket'],
    ['a bucket followed by a key', 'my-bucket/exports/', 'my-bucket'],
  ])('asks for only the bucket name when given %s', (_case, input, bucket) => {
    const problems = bucketNameProblems(input);

    expect(problems).toEqual([`Enter only the bucket name: did you mean \`${bucket}\`?`]);
  });

  it('follows the suggestion with the problems of the suggested name', () => {
    const problems = bucketNameProblems('s3://Acme_Data/exports');

    expect(problems).toEqual([
      'Enter only the bucket name: did you mean `acme_data`?',
      'Bucket names can\'t contain "_".',
    ]);
  });

  it('rejects a URL that names no bucket without suggesting one', () => {
    const problems = bucketNameProblems('https://s3.amazonaws.com/');

    expect(problems).toEqual([
      'Bucket names can\'t contain ":" or "/".',
      'End the name with a letter or a digit, not "/".',
    ]);
  });
});

describe('suggestBucketName', () => {
  it.each([
    ['s3://my-bucket', 'my-bucket'],
    ['s3://my-bucket/', 'my-bucket'],
    ['s3://my-bucket/some/key.csv', 'my-bucket'],
    ['S3://my-bucket/key', 'my-bucket'],
    ['s3a://my-bucket/warehouse', 'my-bucket'],
    ['s3n://my-bucket/warehouse', 'my-bucket'],
    ['arn:aws:s3:::my-bucket', 'my-bucket'],
    ['arn:aws:s3:::my-bucket/*', 'my-bucket'],
    ['arn:aws:s3:::my-bucket/exports/file.csv', 'my-bucket'],
    ['arn:aws-cn:s3:::my-bucket', 'my-bucket'],
    ['arn:aws-us-gov:s3:::my-bucket/*', 'my-bucket'],
    ['https://my-bucket.s3.us-west-2.amazonaws.com/exports/file.csv', 'my-bucket'],
    ['https://my-bucket.s3.amazonaws.com', 'my-bucket'],
    ['my-bucket.s3.amazonaws.com', 'my-bucket'],
    ['my-bucket.s3.amazonaws.com/exports/file.csv', 'my-bucket'],
    ['http://my-bucket.s3-us-west-2.amazonaws.com/', 'my-bucket'],
    ['https://my-bucket.s3.dualstack.eu-west-1.amazonaws.com/key', 'my-bucket'],
    ['https://my-bucket.s3.cn-north-1.amazonaws.com.cn/key', 'my-bucket'],
    ['https://my-bucket.s3-website-us-east-1.amazonaws.com', 'my-bucket'],
    ['https://my.dotted.bucket.s3.us-east-1.amazonaws.com/key', 'my.dotted.bucket'],
    ['https://logs.s3.example.s3.amazonaws.com/key', 'logs.s3.example'],
    ['https://My-Bucket.S3.Amazonaws.com:443/key', 'my-bucket'],
    ['https://s3.us-west-2.amazonaws.com/my-bucket/key', 'my-bucket'],
    ['https://s3.amazonaws.com/my-bucket', 'my-bucket'],
    ['https://s3-us-west-2.amazonaws.com/my-bucket/key', 'my-bucket'],
    ['https://s3.dualstack.us-east-1.amazonaws.com/my-bucket', 'my-bucket'],
    ['https://s3.cn-northwest-1.amazonaws.com.cn/my-bucket/key', 'my-bucket'],
    ['s3.amazonaws.com/my-bucket/key', 'my-bucket'],
    ['my-bucket/exports/file.csv', 'my-bucket'],
    ['my-bucket/', 'my-bucket'],
    ['  s3://my-bucket/key  ', 'my-bucket'],
    ['s3://Acme_Data/exports', 'acme_data'],
  ])('finds the bucket in %s', (input, expected) => {
    const suggestion = suggestBucketName(input);

    expect(suggestion).toBe(expected);
  });

  it.each([
    ['a bare bucket name', 'my-bucket'],
    ['a dotted bucket name', 'logs.example.com'],
    ['an empty string', ''],
    ['an s3:// URL without a bucket', 's3://'],
    ['an ARN without a bucket', 'arn:aws:s3:::'],
    ['an access point ARN', 'arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap'],
    ['a path-style URL without a bucket', 'https://s3.us-west-2.amazonaws.com/'],
    ['a URL that is not S3', 'https://example.com/my-bucket'],
  ])('suggests nothing for %s', (_case, input) => {
    const suggestion = suggestBucketName(input);

    expect(suggestion).toBeUndefined();
  });
});
