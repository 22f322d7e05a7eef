import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { OUTBOX_KEYS } from '../../src/store/outbox';
import { createRedisClient, waitForRedis } from '../../src/store';
import { REDIS_URL } from '../support/redis';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '..', '..', 'dist', 'tools', 'replay-dead-letters.js');

let redis: Redis;
const written: { key: string; id: string }[] = [];

beforeAll(async () => {
  redis = createRedisClient(REDIS_URL);
  await waitForRedis(redis, 5000);
});

afterAll(async () => {
  for (const { key, id } of written) await redis.xdel(key, id);
  await redis.quit();
});

test('the replay command puts the named dead letter back as the same event, marked a replay', async () => {
  // The command works on the bot's own keys (no test prefix): a team of this run alone.
  const teamId = `TREPLAY${Date.now()}`;
  const event = JSON.stringify({ id: `evt-${teamId}`, sequence: 3 });
  const deadId = String(
    await redis.xadd(
      OUTBOX_KEYS.dead,
      '*',
      ...['team', teamId, 'bucket', 'lake', 'seq', '3', 'event', event],
      ...['reason', 'HTTP 500', 'entry', '1-0'],
    ),
  );
  written.push({ key: OUTBOX_KEYS.dead, id: deadId });

  const { stdout } = await run(process.execPath, [SCRIPT, deadId], {
    env: { PATH: process.env.PATH, REDIS_URL },
  });

  expect(stdout).toBe('replayed 1 dead letter(s)\n');
  expect(await redis.xrange(OUTBOX_KEYS.dead, deadId, deadId)).toEqual([]);
  const entries = (await redis.xrange(OUTBOX_KEYS.stream, '-', '+')).filter(([, fields]) =>
    fields.includes(teamId),
  );
  written.push(...entries.map(([id]) => ({ key: OUTBOX_KEYS.stream, id })));
  expect(entries.map(([, fields]) => fields)).toEqual([
    ['team', teamId, 'bucket', 'lake', 'seq', '3', 'event', event, 'replay', '1'],
  ]);
});
