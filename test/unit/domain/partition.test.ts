import { consoleOrigin, regionInPartition } from '../../../src/domain/partition';
import { regionsIn } from '../../../src/domain/regions';

describe('consoleOrigin', () => {
  it.each([
    ['eu-west-1', 'https://console.aws.amazon.com'],
    ['cn-north-1', 'https://console.amazonaws.cn'],
    ['us-gov-east-1', 'https://console.amazonaws-us-gov.com'],
  ])('opens a bucket in %s at %s', (region, origin) => {
    expect(consoleOrigin(region)).toBe(origin);
  });
});

describe('regionInPartition', () => {
  it.each([
    ['aws', 'eu-west-1', 'eu-west-1'],
    ['aws', 'cn-north-1', 'us-east-1'],
    ['aws-cn', 'eu-west-1', 'cn-north-1'],
    ['aws-cn', 'cn-northwest-1', 'cn-northwest-1'],
    ['aws-us-gov', 'us-east-1', 'us-gov-west-1'],
  ] as const)('in %s, prefers %s, else its home: %s', (partition, preferred, expected) => {
    expect(regionInPartition(partition, preferred)).toBe(expected);
  });
});

describe('regionsIn', () => {
  it('lists only the regions of the given partitions', () => {
    expect(regionsIn(['aws-cn']).map((region) => region.code)).toEqual([
      'cn-north-1',
      'cn-northwest-1',
    ]);
  });
});
