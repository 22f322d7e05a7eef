import { webApi } from '@slack/bolt';
import { StoreUnavailableError } from '../../src/errors';
import { publishHome } from '../../src/slack/home/publisher';
import { createMemoryStores, type Stores } from '../../src/store';
import type { Verifier } from '../../src/verify/verifier-port';
import { visibleText } from '../support/message-text';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { BOT_TOKEN, testDeps } from '../support/test-app';
import { savedDestination } from '../support/fixtures';

const NO_VERIFIER: Verifier = {
  verify: () => Promise.reject(new Error('no checks here')),
  watch: () => Promise.reject(new Error('no checks here')),
};

let slack: SlackStandIn;
beforeAll(async () => {
  slack = await startSlackStandIn();
});
afterEach(() => slack.reset());
afterAll(async () => {
  await slack.close();
});

function setUp(stores: Stores = createMemoryStores(3600)) {
  const logs: string[] = [];
  const deps = testDeps({ logs, stores, verifier: NO_VERIFIER });
  const client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl });
  const publish = (overrides: { hash?: string; opened?: boolean } = {}) =>
    publishHome(
      deps,
      { teamId: 'T1', userId: 'U1', client, channelId: 'DU1', opened: true, ...overrides },
      deps.logger,
    );
  return { deps, publish, logs };
}

/** Publishes `text` as the user's Home view straight to the stand-in, as another replica would. */
async function publishedElsewhere(text: string, hash?: string): Promise<string> {
  const answer = await fetch(`${slack.apiUrl}views.publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BOT_TOKEN}` },
    body: JSON.stringify({
      user_id: 'U1',
      ...(hash ? { hash } : {}),
      view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] },
    }),
  });
  return ((await answer.json()) as { view: { hash: string } }).view.hash;
}

describe('publishHome', () => {
  it('says that the storage does not answer, rather than show an empty workspace', async () => {
    const stores = createMemoryStores(3600);
    stores.destinations.list = () => Promise.reject(new StoreUnavailableError(new Error('down')));
    const { publish } = setUp(stores);

    expect(await publish()).toBe('published');

    const shown = visibleText(slack.homeView('U1'));
    expect(shown).toContain("The bot's storage is not answering right now");
    expect(shown).not.toContain('No destinations are connected');
  });

  it('shows the destinations without strips when the history cannot be read', async () => {
    const stores = createMemoryStores(3600);
    await stores.destinations.save(savedDestination('T1', 'acme-data-lake'));
    stores.history.recent = () => Promise.reject(new StoreUnavailableError(new Error('down')));
    const { publish } = setUp(stores);

    expect(await publish()).toBe('published');

    expect(visibleText(slack.homeView('U1'))).toContain('`acme-data-lake`');
  });

  it('publishes over a view built before its own, recorded since by another publish', async () => {
    const { deps, publish } = setUp();
    expect(await publish()).toBe('published');
    const first = slack.homeView('U1')!.hash;
    const viewer = await deps.stores.homeViewers.get('T1', 'U1');
    // Another replica publishes a view it built a minute ago, and records it, while this
    // publish, which read the record just before, runs.
    const other = await publishedElsewhere('older', first);
    const builtEarlier = new Date(Date.now() - 60_000).toISOString();
    let reads = 0;
    deps.stores.homeViewers.get = async () => {
      reads += 1;
      return reads === 1 ? viewer : { ...viewer!, hash: other, builtAt: builtEarlier };
    };

    expect(await publish({ opened: false })).toBe('published');

    const calls = slack.callsTo('views.publish').filter((call) => call.body.user_id === 'U1');
    expect(calls.slice(-2).map((call) => call.body.hash)).toEqual([first, other]);
    expect(visibleText(slack.homeView('U1'))).toContain('S3 destinations');
  });

  it('leaves alone a view built after its own', async () => {
    const { deps, publish } = setUp();
    expect(await publish()).toBe('published');
    const viewer = await deps.stores.homeViewers.get('T1', 'U1');
    const newer = await publishedElsewhere('newer', viewer!.hash);
    const later = new Date(Date.now() + 60_000).toISOString();
    await deps.stores.homeViewers.published('T1', { ...viewer!, hash: newer, builtAt: later });
    // This publish read the old hash before the newer view was recorded.
    const racing = deps.stores.homeViewers.get.bind(deps.stores.homeViewers);
    let reads = 0;
    deps.stores.homeViewers.get = async (teamId, userId) => {
      reads += 1;
      return reads === 1 ? viewer : racing(teamId, userId);
    };

    expect(await publish({ opened: false })).toBe('newer_view');

    expect(visibleText(slack.homeView('U1'))).toBe('newer');
  });
});
