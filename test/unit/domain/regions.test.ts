import {
  AWS_REGIONS,
  DEFAULT_REGION,
  isKnownRegion,
  regionLabel,
} from '../../../src/domain/regions';

describe('isKnownRegion', () => {
  it.each(['us-east-1', 'eu-west-1', 'cn-north-1', 'cn-northwest-1', 'us-gov-west-1'])(
    'knows %s',
    (code) => {
      expect(isKnownRegion(code)).toBe(true);
    },
  );

  it.each(['', 'US-EAST-1', 'us-east-1 ', 'mars-north-1', 'us-east'])(
    'does not know "%s"',
    (code) => {
      expect(isKnownRegion(code)).toBe(false);
    },
  );

  it('knows the default region', () => {
    expect(isKnownRegion(DEFAULT_REGION)).toBe(true);
  });
});

describe('AWS_REGIONS', () => {
  it('lists each region once, within the 100 options a Slack select allows', () => {
    const codes = AWS_REGIONS.map((region) => region.code);

    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.length).toBeLessThanOrEqual(100);
  });
});

describe('regionLabel', () => {
  it.each([
    ['eu-west-1', 'Europe (Ireland) · eu-west-1'],
    ['cn-north-1', 'China (Beijing) · cn-north-1'],
    ['mars-north-1', 'mars-north-1'],
  ])('labels %s as "%s"', (code, expected) => {
    expect(regionLabel(code)).toBe(expected);
  });
});
