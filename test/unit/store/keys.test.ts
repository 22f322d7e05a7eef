import {
  destinationKey,
  destinationsKey,
  MONITOR_LOCK_KEY,
  sessionKey,
  TEAMS_KEY,
  verifyLockKey,
} from '../../../src/store/keys';

describe('store keys', () => {
  it('puts the team in a hash tag on every per-team key', () => {
    expect(sessionKey('T123', 'abc')).toBe('s3d:{T123}:session:abc');
    expect(destinationKey('T123', 'acme-data-lake')).toBe('s3d:{T123}:destination:acme-data-lake');
    expect(destinationsKey('T123')).toBe('s3d:{T123}:destinations');
    expect(verifyLockKey('T123', 'abc')).toBe('s3d:{T123}:lock:verify:abc');
  });

  it('names the global keys', () => {
    expect(TEAMS_KEY).toBe('s3d:teams');
    expect(MONITOR_LOCK_KEY).toBe('s3d:lock:monitor');
  });

  it.each(['T{1', 'T}1', '{T1}', ''])('refuses the team id %j', (teamId) => {
    expect(() => sessionKey(teamId, 'abc')).toThrow(/team id/);
    expect(() => destinationKey(teamId, 'b')).toThrow(/team id/);
    expect(() => destinationsKey(teamId)).toThrow(/team id/);
    expect(() => verifyLockKey(teamId, 'abc')).toThrow(/team id/);
  });
});
