import {
  destinationKey,
  destinationsKey,
  sessionKey,
  auditKey,
  destinationVersionKey,
  teamOfDestinationsKey,
  verifyLockKey,
} from '../../../src/store/keys';

describe('store keys', () => {
  it('puts the team in a hash tag on every per-team key', () => {
    expect(sessionKey('T123', 'abc')).toBe('s3d:{T123}:session:abc');
    expect(destinationKey('T123', 'acme-data-lake')).toBe('s3d:{T123}:destination:acme-data-lake');
    expect(destinationsKey('T123')).toBe('s3d:{T123}:destinations');
    expect(verifyLockKey('T123', 'abc')).toBe('s3d:{T123}:lock:verify:abc');
    expect(destinationVersionKey('T123')).toBe('s3d:{T123}:destination-version');
    expect(auditKey('T123')).toBe('s3d:{T123}:audit');
  });

  it("reads the team back from a team's set of buckets, and from nothing else", () => {
    expect(teamOfDestinationsKey('s3d:{T123}:destinations')).toBe('T123');
    expect(teamOfDestinationsKey('s3d:{T123}:destination:b')).toBeUndefined();
    expect(teamOfDestinationsKey('s3d:{T1}:x:{T2}:destinations')).toBeUndefined();
  });

  it.each(['T{1', 'T}1', '{T1}', ''])('refuses the team id %j', (teamId) => {
    expect(() => sessionKey(teamId, 'abc')).toThrow(/team id/);
    expect(() => destinationKey(teamId, 'b')).toThrow(/team id/);
    expect(() => destinationsKey(teamId)).toThrow(/team id/);
    expect(() => verifyLockKey(teamId, 'abc')).toThrow(/team id/);
  });
});
