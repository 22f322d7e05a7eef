import { CHALLENGE_PREFIX, isChallengeKey, newChallengeKey } from '../../../src/domain/challenge';

describe('newChallengeKey', () => {
  it('is the prefix followed by a lowercase UUID v4', () => {
    const key = newChallengeKey();

    expect(key).toMatch(
      /^s3-destination-challenge-file-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(CHALLENGE_PREFIX).toBe('s3-destination-challenge-file-');
  });

  it('is recognised by isChallengeKey', () => {
    const key = newChallengeKey();

    expect(isChallengeKey(key)).toBe(true);
  });

  it('is different every time', () => {
    const keys = Array.from({ length: 1000 }, () => newChallengeKey());

    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('isChallengeKey', () => {
  const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';

  it.each([
    ['a v4 UUID with variant 8', `${CHALLENGE_PREFIX}0f8fad5b-d9cb-469f-8165-70867728950e`],
    ['a v4 UUID with variant 9', `${CHALLENGE_PREFIX}0f8fad5b-d9cb-469f-9165-70867728950e`],
    ['a v4 UUID with variant a', `${CHALLENGE_PREFIX}${uuid}`],
    ['a v4 UUID with variant b', `${CHALLENGE_PREFIX}0f8fad5b-d9cb-469f-b165-70867728950e`],
  ])('accepts %s', (_case, value) => {
    expect(isChallengeKey(value)).toBe(true);
  });

  it.each([
    ['an empty string', ''],
    ['the prefix alone', CHALLENGE_PREFIX],
    ['a bare UUID', uuid],
    ['another prefix', `challenge-file-${uuid}`],
    ['a file extension', `${CHALLENGE_PREFIX}${uuid}.txt`],
    ['a leading path', `exports/${CHALLENGE_PREFIX}${uuid}`],
    ['surrounding whitespace', ` ${CHALLENGE_PREFIX}${uuid}`],
    ['uppercase hex digits', `${CHALLENGE_PREFIX}${uuid.toUpperCase()}`],
    ['a v1 UUID', `${CHALLENGE_PREFIX}0f8fad5b-d9cb-169f-a165-70867728950e`],
    ['a v7 UUID', `${CHALLENGE_PREFIX}0f8fad5b-d9cb-769f-a165-70867728950e`],
    ['the wrong variant', `${CHALLENGE_PREFIX}0f8fad5b-d9cb-469f-c165-70867728950e`],
    ['a missing digit', `${CHALLENGE_PREFIX}0f8fad5b-d9cb-469f-a165-70867728950`],
    ['no hyphens', `${CHALLENGE_PREFIX}${uuid.replaceAll('-', '')}`],
  ])('rejects %s', (_case, value) => {
    expect(isChallengeKey(value)).toBe(false);
  });
});
