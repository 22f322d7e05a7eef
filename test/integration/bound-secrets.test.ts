import { randomBytes } from 'node:crypto';
import { createLogger } from '../../src/log/logger';
import { RedisInstallationStorage } from '../../src/store/installations';
import { Installations } from '../../src/slack/oauth/installations';
import {
  createRedisStores,
  destinationKey,
  installationKey,
  RedisLockStore,
} from '../../src/store';
import { RedisDestinationStore } from '../../src/store/redis-destinations';
import { isSealed, Keyring } from '../../src/store/secrets';
import { checkStoredKey } from '../../src/store/secrets-check';
import { rotateSecrets } from '../../src/store/secrets-rotation';
import { workspaceInstallation } from '../support/installation';
import { useTestRedis } from '../support/redis';
import { savedDestination } from '../support/fixtures';

const key64 = randomBytes(32).toString('base64');

const redis = useTestRedis();

/** A keyring as the bot has it: checked against Redis before it seals or opens anything. */
async function checkedKeyring(): Promise<Keyring> {
  const keyring = Keyring.fromKeys(key64, undefined, { unchecked: true });
  await checkStoredKey(redis.client, keyring);
  return keyring;
}

function installations(keyring: Keyring): Installations {
  return new Installations(new RedisInstallationStorage(redis.client), keyring, {
    locks: new RedisLockStore(redis.client),
    refresh: () => Promise.reject(new Error('no refresh in these tests')),
    checkToken: () => Promise.reject(new Error('no uninstall in these tests')),
    logger: createLogger({ level: 'silent' }),
    now: () => new Date(),
  });
}

describe('sealed values bound to where they live', () => {
  it('does not open a sealed installation copied under another team’s key', async () => {
    const store = installations(await checkedKeyring());
    await store.save(workspaceInstallation({ teamId: 'TONE', token: 'xoxb-one' }));
    await store.save(workspaceInstallation({ teamId: 'TTWO', token: 'xoxb-two' }));

    await redis.client.set(
      installationKey('TTWO'),
      (await redis.client.get(installationKey('TONE')))!,
    );

    await expect(store.fresh({ teamId: 'TTWO' })).rejects.toThrow(/failed authentication/);
    expect((await store.fresh({ teamId: 'TONE' }))?.bot?.token).toBe('xoxb-one');
  });

  it('does not open an installation sealed before the binding under another team’s key', async () => {
    const keyring = await checkedKeyring();
    const store = installations(keyring);
    const one = workspaceInstallation({ teamId: 'TONE', token: 'xoxb-one' });
    // The unbound form of earlier versions: it opens anywhere, but names its own team.
    await redis.client.set(installationKey('TONE'), keyring.seal(JSON.stringify(one)));
    await redis.client.set(installationKey('TTWO'), keyring.seal(JSON.stringify(one)));

    expect((await store.fresh({ teamId: 'TONE' }))?.bot?.token).toBe('xoxb-one');
    await expect(store.fresh({ teamId: 'TTWO' })).rejects.toThrow(/serves TONE, not TTWO/);
  });

  it('does not open a challenge name copied to another destination', async () => {
    const stores = createRedisStores(redis.client, 3600, { keyring: await checkedKeyring() });
    await stores.destinations.save(savedDestination('TONE', 'bucket-one'));
    await stores.destinations.save(savedDestination('TONE', 'bucket-two'));
    const one = JSON.parse((await redis.client.get(destinationKey('TONE', 'bucket-one')))!) as {
      challengeKey: string;
    };
    const two = JSON.parse((await redis.client.get(destinationKey('TONE', 'bucket-two')))!) as {
      challengeKey: string;
    };
    await redis.client.set(
      destinationKey('TONE', 'bucket-two'),
      JSON.stringify({ ...two, challengeKey: one.challengeKey }),
    );

    await expect(stores.destinations.get('TONE', 'bucket-two')).rejects.toThrow(/cannot be opened/);
  });

  it('opens values of the old binding until the rotation re-seals them, and never plain ones', async () => {
    const before = await checkedKeyring();
    const one = workspaceInstallation({ teamId: 'TONE', token: 'xoxb-one' });
    await redis.client.set(installationKey('TONE'), before.seal(JSON.stringify(one)));
    await createRedisStores(redis.client, 3600).destinations.save(
      savedDestination('TONE', 'bucket-plain'),
    );
    const storesBefore = createRedisStores(redis.client, 3600, { keyring: before });
    // Plain: refused even before any rotation; sealed unbound: opened until the rotation.
    await expect(storesBefore.destinations.get('TONE', 'bucket-plain')).rejects.toThrow(
      /plain text/,
    );
    expect((await installations(before).fresh({ teamId: 'TONE' }))?.bot?.token).toBe('xoxb-one');

    const report = await rotateSecrets(redis.client, Keyring.fromKeys(key64));
    expect(report).toMatchObject({ resealed: 2, failures: [] });

    const after = await checkedKeyring();
    expect(after.requiresBinding).toBe(true);
    const storesAfter = createRedisStores(redis.client, 3600, { keyring: after });
    expect(await storesAfter.destinations.get('TONE', 'bucket-plain')).toBeDefined();
    expect((await installations(after).fresh({ teamId: 'TONE' }))?.bot?.token).toBe('xoxb-one');
    // A plain value written now (by hand, or by a bot without the key) is refused.
    await createRedisStores(redis.client, 3600).destinations.save(
      savedDestination('TONE', 'bucket-late'),
    );
    await expect(storesAfter.destinations.get('TONE', 'bucket-late')).rejects.toThrow(/plain text/);
  });

  it('lists destinations for the loader without opening their challenge names', async () => {
    const stores = createRedisStores(redis.client, 3600, { keyring: await checkedKeyring() });
    await stores.destinations.save(savedDestination('TONE', 'bucket-one'));
    // No key at all: the loader's view never needs one.
    const loaderView = new RedisDestinationStore(redis.client, { leaveChallengeKeysSealed: true });

    const [listed] = await loaderView.list('TONE');
    expect(listed?.settings.bucket).toBe('bucket-one');
    expect(isSealed(listed?.challengeKey ?? '')).toBe(true);
    expect(isSealed((await loaderView.get('TONE', 'bucket-one'))?.challengeKey ?? '')).toBe(true);
  });

  it('seals and opens nothing until the key has been checked against Redis', async () => {
    const unchecked = Keyring.fromKeys(key64, undefined, { unchecked: true });
    const stores = createRedisStores(redis.client, 3600, { keyring: unchecked });
    await expect(stores.destinations.save(savedDestination('TONE', 'bucket-one'))).rejects.toThrow(
      /has not been checked/,
    );
    expect(await redis.keys()).toEqual([]);
    await checkStoredKey(redis.client, unchecked);
    await expect(
      stores.destinations.save(savedDestination('TONE', 'bucket-one')),
    ).resolves.toMatchObject({ status: 'saved' });
  });
});
