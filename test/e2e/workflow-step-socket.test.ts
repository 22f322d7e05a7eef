import { randomUUID } from 'node:crypto';
import type { App } from '@slack/bolt';
import { createApp } from '../../src/app';
import { createRedisStores } from '../../src/store';
import { S3Verifier } from '../../src/verify/verifier';
import { savedDestination } from '../support/fixtures';
import { testRedis, type TestRedis } from '../support/redis';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import { localVerifier } from '../support/s3-local';
import { functionExecutedBody } from '../support/slack-payloads';
import { startSocketModeStandIn, type SocketModeStandIn } from '../support/slack-socket-stand-in';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { BOT_TOKEN, testDeps, type TestDeps } from '../support/test-app';

const STEP_TOKEN = 'xwfp-1-socket-step-token-0123456789';

describe('the Workflow Builder step in Socket Mode', () => {
  let redis: TestRedis;
  let s3: FaultServer;
  let clients: ReturnType<typeof localVerifier>['clients'];
  let slack: SlackStandIn;
  let socket: SocketModeStandIn;
  let deps: TestDeps;
  let app: App;

  beforeAll(async () => {
    redis = await testRedis();
    s3 = await startFaultServer();
    ({ clients } = localVerifier(s3.endpoint, 2000));
    slack = await startSlackStandIn();
    socket = await startSocketModeStandIn(slack);
    deps = testDeps({
      logs: [],
      stores: createRedisStores(redis.client, 3600),
      verifier: new S3Verifier(clients, { timeoutMs: 2000 }),
    });
    app = createApp(deps, {
      botToken: BOT_TOKEN,
      appToken: 'xapp-1-A0APP-1-step-socket-test-token',
      apiUrl: slack.apiUrl,
      botId: 'BBOT',
      botUserId: 'UBOT',
    });
    await app.start();
    await socket.connected();
  });
  afterAll(async () => {
    await app.stop();
    // Bolt's stop returns before the close handshake ends, whose timer would outlive the test.
    await socket.disconnected();
    deps.home?.stop();
    await deps.tasks.drain(5000);
    await socket.close();
    await slack.close();
    clients.destroy();
    await s3.stop();
    await redis.cleanup();
  });

  it('acknowledges function_executed over the socket and completes the step with its outputs', async () => {
    const destination = {
      ...savedDestination('T0TEST', `acme-socket-${randomUUID().slice(0, 8)}`),
      challengeKey: `s3-destination-challenge-file-${randomUUID()}`,
    };
    await deps.stores.destinations.save(destination);
    s3.addObject(destination.challengeKey);
    const { bucket } = destination.settings;
    const body = functionExecutedBody({
      teamId: 'T0TEST',
      inputs: { bucket, channel_id: 'C0ALERTS' },
      functionExecutionId: 'FxSOCKET1',
      botAccessToken: STEP_TOKEN,
    });

    const ack = await socket.deliver('events_api', JSON.parse(body) as Record<string, unknown>);
    const completion = await slack.waitForCall('functions.completeSuccess');

    expect(ack.envelope_id).toEqual(expect.any(String));
    expect(completion.token).toBe(STEP_TOKEN);
    expect(completion.body).toMatchObject({
      function_execution_id: 'FxSOCKET1',
      outputs: { ok: true, summary: 'All checks passed', bucket },
    });
    const [post] = slack.callsTo('chat.postMessage');
    expect(post).toMatchObject({ token: STEP_TOKEN, body: { channel: 'C0ALERTS' } });
    expect(slack.callsTo('functions.completeError')).toHaveLength(0);
  });
});
