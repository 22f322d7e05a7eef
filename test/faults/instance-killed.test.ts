import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisClient, waitForRedis } from '../../src/store';
import { destinationKey, sessionKey } from '../../src/store/keys';
import { WRITE_CHECK_KEY } from '../../src/verify/report';
import { botEnvironment, startBotProcess, stopBots, type StartedBot } from '../support/bot-process';
import { REDIS_URL } from '../support/redis';
import {
  LOCAL_S3_CREDENTIALS,
  LOCAL_S3_REGION,
  startLocalS3,
  type LocalS3,
} from '../support/s3-local';
import { DEFAULT_ACTOR, type Actor } from '../support/slack-payloads';
import { slackSignatureHeaders } from '../support/slack-signer';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { SIGNING_SECRET } from '../support/test-app';
import {
  VALID_SETTINGS,
  clickCheckAndSave,
  commandBody,
  submitSetup,
  waitForCallWhere,
  waitForPostTo,
  type SignedSender,
} from './flow';
import { visibleText } from '../support/message-text';

/** The compiled bot as `npm start` runs it, sharing Redis and S3 with its replicas. */
function startReplica(slack: SlackStandIn, s3: LocalS3): Promise<StartedBot> {
  return startBotProcess(
    botEnvironment({
      SLACK_API_URL: slack.apiUrl,
      REDIS_URL,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
      AWS_REGION: LOCAL_S3_REGION,
    }),
  );
}

/** Signs requests to a running replica, as Slack would. */
function senderFor(bot: StartedBot): SignedSender {
  return {
    post: (body, contentType = 'application/x-www-form-urlencoded') =>
      fetch(`${bot.baseUrl}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': contentType, ...slackSignatureHeaders(body, SIGNING_SECRET) },
        body,
      }),
  };
}

describe('a replica killed in the middle of a setup', () => {
  let slack: SlackStandIn;
  let s3: LocalS3;
  let redis: Redis;
  // The replicas write Redis keys without a test prefix: a team of its own keeps them apart.
  const actor: Actor = {
    ...DEFAULT_ACTOR,
    teamId: `T${randomBytes(5).toString('hex').toUpperCase()}`,
  };

  beforeAll(async () => {
    slack = await startSlackStandIn();
    s3 = await startLocalS3();
    await s3.createBucket(VALID_SETTINGS.bucket);
    redis = createRedisClient(REDIS_URL);
    await waitForRedis(redis, 5000);
  });
  afterAll(async () => {
    await stopBots();
    const keys = await redis.keys(`s3d:{${actor.teamId}}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await s3.stop();
    await slack.close();
  });

  it('lets another replica finish Check and Save from the state in Redis', async () => {
    const first = await startReplica(slack, s3);
    const onFirst = senderFor(first);
    const commandUrl = slack.responseUrl('setup-command');
    const opened = await onFirst.post(commandBody('setup', commandUrl, 'trigger-killed', actor));
    expect(opened.status).toBe(200);
    const open = await waitForCallWhere(
      slack,
      'views.open',
      (b) => b.trigger_id === 'trigger-killed',
    );
    const { private_metadata: privateMetadata } = open.body.view as { private_metadata: string };
    const { sessionId, challengeKey } = await submitSetup(onFirst, slack, {
      responseUrl: commandUrl,
      actor,
      privateMetadata,
    });

    first.child.kill('SIGKILL');
    expect(await first.exited()).toBe('SIGKILL');
    // Meanwhile the user does their part: the challenge file goes into the bucket.
    await s3.putObject(VALID_SETTINGS.bucket, challengeKey);
    const second = await startReplica(slack, s3);
    const onSecond = senderFor(second);
    const clickUrl = slack.responseUrl('instructions');

    const click = await clickCheckAndSave(onSecond, sessionId, clickUrl, actor);

    expect(click.status).toBe(200);
    const result = await waitForCallWhere(
      slack,
      'chat.postMessage',
      (body) => body.channel === actor.channelId,
    );
    expect(visibleText(result.body)).toContain(`connected \`${VALID_SETTINGS.bucket}\``);
    expect((await waitForPostTo(slack, clickUrl)).body.replace_original).toBe(true);
    const saved = await redis.get(destinationKey(actor.teamId, VALID_SETTINGS.bucket));
    expect(JSON.parse(saved!)).toMatchObject({
      teamId: actor.teamId,
      challengeKey,
      connectedBy: actor.userId,
      settings: VALID_SETTINGS,
      lastCheck: { ok: true },
    });
    const session = JSON.parse((await redis.get(sessionKey(actor.teamId, sessionId)))!) as {
      savedAt?: string;
    };
    expect(session.savedAt).toEqual(expect.any(String));
    expect(await s3.objectExists(VALID_SETTINGS.bucket, WRITE_CHECK_KEY)).toBe(true);
  });
});
