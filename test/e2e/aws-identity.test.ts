import { botEnvironment, spawnBot, stopBots, type BotEnvironment } from '../support/bot-process';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { assumedRoleSession, startStsStandIn, type StsStandIn } from '../support/sts-stand-in';
import { PRINCIPAL_ARN } from '../support/test-app';

const ADMIN = 'arn:aws:iam::123456789012:user/admin';

describe('the bot proves its AWS identity before it starts', () => {
  let slack: SlackStandIn;
  let sts: StsStandIn;
  const start = (extra: BotEnvironment) =>
    spawnBot(botEnvironment({ SLACK_API_URL: slack.apiUrl, STS_ENDPOINT: sts.endpoint, ...extra }));

  beforeAll(async () => {
    slack = await startSlackStandIn();
    sts = await startStsStandIn(assumedRoleSession(PRINCIPAL_ARN));
  });
  afterEach(async () => {
    await stopBots();
    slack.reset();
    sts.reset();
  });
  afterAll(async () => {
    await sts.close();
    await slack.close();
  });

  it('starts when its identity is a session of the configured role', async () => {
    const bot = start({});

    await bot.waitForLine(/"mode":"http"/);

    const proven = await bot.waitForLine(/AWS identity proven/);
    expect(JSON.parse(proven)).toMatchObject({
      callerArn: assumedRoleSession(PRINCIPAL_ARN),
      principal: PRINCIPAL_ARN,
    });
    expect(sts.requests).toEqual([expect.objectContaining({ action: 'GetCallerIdentity' })]);
  });

  it('exits 1 naming both ARNs when its identity is another one', async () => {
    sts.answerCaller(ADMIN);
    const bot = start({});

    expect(await bot.exited()).toBe(1);
    const message = bot.stderr.join('\n');
    expect(message).toContain(
      `The bot's AWS identity is ${ADMIN}, but POLICY_PRINCIPAL_ARN is ${PRINCIPAL_ARN}`,
    );
    expect(slack.callsTo('auth.test')).toHaveLength(0);
  });

  it('exits 1 with the cause when STS does not answer', async () => {
    const down = await startStsStandIn(assumedRoleSession(PRINCIPAL_ARN));
    await down.close();
    const bot = start({ STS_ENDPOINT: down.endpoint });

    expect(await bot.exited()).toBe(1);
    const message = bot.stderr.join('\n');
    expect(message).toContain(`STS at ${down.endpoint} did not answer (3 tries)`);
    expect(message).toContain('ECONNREFUSED');
  });

  it('starts with one warning when an S3-compatible endpoint has no STS', async () => {
    const bot = start({
      STS_ENDPOINT: undefined,
      S3_ENDPOINT: 'http://127.0.0.1:1',
      S3_FORCE_PATH_STYLE: 'true',
      POLICY_PRINCIPAL_ARN: 'arn:aws:iam:::user/loader',
    });

    await bot.waitForLine(/"mode":"http"/);

    const warnings = bot.stdout.filter((line) => line.includes('STS_ENDPOINT is not'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0])).toMatchObject({ level: 40 });
    expect(sts.requests).toHaveLength(0);
  });
});
