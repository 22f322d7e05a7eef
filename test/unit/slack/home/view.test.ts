import type { types } from '@slack/bolt';
import type { AuditEntry } from '../../../../src/store/audit';
import type { CheckHistoryEntry } from '../../../../src/store/check-history';
import type { SavedDestination } from '../../../../src/store/types';
import { ACTION, HOME_CALLBACK_ID } from '../../../../src/slack/ids';
import {
  HOME_PAGE_SIZE,
  HOME_RECENT_ACTIVITY,
  buildHomeView,
  checkStrip,
  parseHomeMetadata,
  relativeTime,
  type HomeViewInput,
} from '../../../../src/slack/home/view';
import { blockKitViolations } from '../../../support/block-kit-limits';
import { visibleText } from '../../../support/message-text';
import { destinationSettings } from '../../../support/fixtures';

const NOW = new Date('2025-03-01T12:00:00.000Z');
/** The Admins section at its fullest: the installer and as many added admins as it holds. */
const MANY_ADMINS = {
  installerId: 'UINSTALL',
  added: Array.from({ length: 100 }, (_, i) => `U${String(i).padStart(10, '0')}`),
};
const CHALLENGE_PREFIX = 's3-destination-challenge-file-';

function minutesAgo(minutes: number): string {
  return new Date(NOW.getTime() - minutes * 60_000).toISOString();
}

function destination(
  bucket: string,
  overrides: Partial<Omit<SavedDestination, 'settings'>> & {
    settings?: Partial<SavedDestination['settings']>;
  } = {},
): SavedDestination {
  const { settings, ...rest } = overrides;
  return {
    teamId: 'T1',
    version: 1,
    settings: destinationSettings({
      bucket,
      region: 'eu-west-1',
      format: 'csv',
      csvDelimiter: 'pipe',
      csvForceQuote: true,
      ...settings,
    }),
    challengeKey: `${CHALLENGE_PREFIX}0b7c7d3e-8a7e-4f6e-9d55-${bucket.padEnd(12, '0').slice(0, 12)}`,
    channelId: 'C0DATA',
    connectedBy: 'U0CAROL',
    connectedAt: '2025-02-01T09:00:00.000Z',
    verifiedAt: minutesAgo(12),
    lastCheck: { at: minutesAgo(12), ok: true, summary: 'All checks passed' },
    ...rest,
  };
}

function history(pattern: string): CheckHistoryEntry[] {
  return [...pattern].map((mark, index) => ({
    at: minutesAgo(60 * (pattern.length - index)),
    ok: mark === '+',
  }));
}

function input(overrides: Partial<HomeViewInput> = {}): HomeViewInput {
  return {
    destinations: [],
    histories: new Map(),
    recent: [],
    page: 0,
    isAdmin: true,
    now: NOW,
    channelId: 'D0ALICE',
    ...overrides,
  };
}

/** Every button of the view, with the block it sits in. */
function buttons(view: types.HomeView): types.Button[] {
  return (view.blocks as unknown as Record<string, unknown>[]).flatMap((block) => {
    const elements = (block.elements as unknown[] | undefined) ?? [];
    const accessory = block.accessory ? [block.accessory] : [];
    return [...elements, ...accessory].filter(
      (element): element is types.Button => (element as { type?: string }).type === 'button',
    );
  });
}

const actionIds = (view: types.HomeView) => buttons(view).map((button) => button.action_id);

/** The buckets shown, in order, from the Check now buttons. */
const bucketsShown = (view: types.HomeView) =>
  buttons(view)
    .filter((button) => button.action_id === ACTION.homeVerify)
    .map((button) => button.value);

/** A destination as large as the rules allow: a 63-character bucket, a 500-character key template. */
function largest(index: number): SavedDestination {
  const bucket = `b${String(index).padStart(4, '0')}-${'x'.repeat(57)}`;
  const keyTemplate =
    `[integration_name]/[table_name]/[table_version]_[timestamp_loaded]/${'k'.repeat(500)}`.slice(
      0,
      500,
    );
  return destination(bucket, {
    settings: { keyTemplate },
    lastCheck: {
      at: minutesAgo(index),
      ok: index % 3 !== 0,
      summary:
        'Failed: Challenge file, List the bucket, Write an object (warning: Object ownership)',
    },
    ...(index % 7 === 0
      ? { channelUnreachable: { since: minutesAgo(600), error: 'channel_not_found' } }
      : {}),
  });
}

function longAuditEntry(index: number): AuditEntry {
  return {
    at: minutesAgo(index),
    actor: 'U0123456789',
    action: 'verify',
    bucket: `b${index}-${'y'.repeat(60)}`,
    outcome: `not recorded: ${'z'.repeat(400)}`,
  };
}

describe('the App Home view', () => {
  describe.each([0, 1, 40, 500])('with %i destinations', (count) => {
    const destinations = Array.from({ length: count }, (_, index) => largest(index));
    const histories = new Map(
      destinations.map((d, index) => [
        d.settings.bucket,
        history('+-'.repeat(12).slice(index % 2)),
      ]),
    );
    const recent = Array.from({ length: HOME_RECENT_ACTIVITY }, (_, i) => longAuditEntry(i));
    const pages = Math.max(1, Math.ceil(count / HOME_PAGE_SIZE));

    it.each([...new Set([0, Math.floor(pages / 2), pages - 1])])(
      'stays within Slack’s limits on page %i, for admins and members',
      (page) => {
        for (const isAdmin of [true, false]) {
          const view = buildHomeView(
            input({ destinations, histories, recent, page, isAdmin, admins: MANY_ADMINS }),
          );

          expect(blockKitViolations(view, 'home')).toEqual([]);
          expect(view.type).toBe('home');
          expect(view.callback_id).toBe(HOME_CALLBACK_ID);
        }
      },
    );

    it('shows every destination exactly once across its pages, never a challenge name', () => {
      const seen: string[] = [];
      for (let page = 0; page < pages; page += 1) {
        const view = buildHomeView(input({ destinations, histories, recent, page }));
        seen.push(...bucketsShown(view).map(String));
        expect(JSON.stringify(view)).not.toContain(CHALLENGE_PREFIX);
        expect(parseHomeMetadata(view.private_metadata)).toEqual({ page, channelId: 'D0ALICE' });
      }

      expect([...seen].sort()).toEqual(destinations.map((d) => d.settings.bucket).sort());
    });
  });

  it('fills a whole page with 87 blocks, the most any page has, and stays far below 250 kB', () => {
    const destinations = Array.from({ length: 45 }, (_, i) => largest(i));
    const recent = Array.from({ length: HOME_RECENT_ACTIVITY }, (_, i) => longAuditEntry(i));

    const view = buildHomeView(input({ destinations, recent, isAdmin: false, notice: 'Done.' }));

    expect(view.blocks).toHaveLength(87);
    expect(Buffer.byteLength(JSON.stringify(view))).toBeLessThan(100_000);
  });

  it('fills an admin’s whole page with 88 blocks, the Admins section included', () => {
    const destinations = Array.from({ length: 45 }, (_, i) => largest(i));
    const recent = Array.from({ length: HOME_RECENT_ACTIVITY }, (_, i) => longAuditEntry(i));

    const view = buildHomeView(
      input({ destinations, recent, notice: 'Done.', admins: MANY_ADMINS }),
    );

    expect(view.blocks).toHaveLength(88);
    expect(blockKitViolations(view, 'home')).toEqual([]);
  });

  it('shows admins the Admins section with the people added, members nothing of it', () => {
    const admins = { installerId: 'UINSTALL', added: ['U0BOB', 'U0CAROL'] };
    const forAdmin = buildHomeView(input({ isAdmin: true, admins }));
    const picker = forAdmin.blocks
      .map((block) => (block as { accessory?: Record<string, unknown> }).accessory)
      .find((accessory) => accessory?.action_id === ACTION.homeAdmins);

    expect(picker).toMatchObject({
      type: 'multi_users_select',
      initial_users: ['U0BOB', 'U0CAROL'],
    });
    expect(visibleText(forAdmin)).toContain('<@UINSTALL> (who installed the app)');
    const forMember = buildHomeView(input({ isAdmin: false, admins }));
    expect(JSON.stringify(forMember)).not.toContain(ACTION.homeAdmins);
  });

  it('welcomes an empty workspace with the Set up button', () => {
    const view = buildHomeView(input());

    expect(visibleText(view)).toContain('No destinations are connected in this workspace yet.');
    expect(actionIds(view)).toEqual([ACTION.homeSetup]);
  });

  it('shows a destination’s settings, who connected it, its last check and its strip', () => {
    const view = buildHomeView(
      input({
        destinations: [destination('acme-data-lake')],
        histories: new Map([['acme-data-lake', history('++-+')]]),
      }),
    );
    const text = visibleText(view);

    expect(text).toContain(':white_check_mark: *`acme-data-lake`* · passing');
    expect(text).toContain('*Region*\nEurope (Ireland) · eu-west-1');
    expect(text).toContain('*Format*\nCSV, pipe-delimited, all elements quoted');
    expect(text).toContain(
      '*Object key*\n`[integration_name]/[table_name]/[table_version]_[timestamp_loaded]`',
    );
    expect(text).toContain('*Connected*\nby <@U0CAROL> <!date^1738400400^');
    expect(text).toContain('results in <#C0DATA>');
    const twelveMinutesAgo = Math.floor(Date.parse(minutesAgo(12)) / 1000);
    expect(text).toContain(
      `Last check <!date^${twelveMinutesAgo}^{ago}|12 minutes ago>: :white_check_mark: All checks passed`,
    );
    expect(text).toContain(
      'Last 4 checks, oldest first: :large_green_square::large_green_square::red_square::large_green_square:',
    );
    expect(actionIds(view)).toEqual([ACTION.homeSetup, ACTION.homeVerify, ACTION.homeRemove]);
    expect(bucketsShown(view)).toEqual(['acme-data-lake']);
  });

  it('asks to confirm a removal in Slack’s own dialog, naming the bucket', () => {
    const view = buildHomeView(input({ destinations: [destination('acme-data-lake')] }));

    const remove = buttons(view).find((button) => button.action_id === ACTION.homeRemove);

    expect(remove?.value).toBe('acme-data-lake');
    expect(remove?.style).toBe('danger');
    expect(remove?.confirm?.text.text).toContain('Remove acme-data-lake?');
    expect(remove?.confirm?.style).toBe('danger');
  });

  it('shows a member (not an admin) no Set up and no Remove, and says why', () => {
    const view = buildHomeView(
      input({ destinations: [destination('acme-data-lake')], isAdmin: false }),
    );

    expect(actionIds(view)).toEqual([ACTION.homeVerify]);
    expect(visibleText(view)).toContain(
      'Only the workspace’s S3 destination admins can set up or remove destinations.',
    );
    expect(actionIds(buildHomeView(input({ isAdmin: false })))).toEqual([]);
  });

  it('puts destinations whose channel is unreachable or whose last check failed first', () => {
    const failing = { at: minutesAgo(5), ok: false, summary: 'Failed: Challenge file' };
    const view = buildHomeView(
      input({
        destinations: [
          destination('a-passing'),
          destination('z-failing', { lastCheck: failing }),
          destination('b-passing'),
          destination('m-unreachable', {
            channelUnreachable: { since: minutesAgo(30), error: 'is_archived' },
          }),
        ],
      }),
    );
    const text = visibleText(view);

    expect(bucketsShown(view)).toEqual(['m-unreachable', 'z-failing', 'a-passing', 'b-passing']);
    expect(text).toContain('2 need attention');
    expect(text).toContain(':x: *`z-failing`* · *last check failed*');
    expect(text).toContain('The bot cannot post in <#C0DATA> (is_archived) since <!date^');
  });

  it('pages with Previous and Next buttons, keeping the page in private_metadata', () => {
    const destinations = Array.from({ length: 45 }, (_, i) =>
      destination(`bucket-${String(i).padStart(2, '0')}`),
    );

    const first = buildHomeView(input({ destinations, page: 0 }));
    const middle = buildHomeView(input({ destinations, page: 1 }));
    const last = buildHomeView(input({ destinations, page: 99 }));

    const pageButtons = (view: types.HomeView) =>
      buttons(view)
        .filter((button) => button.action_id === ACTION.homePage)
        .map((button) => [button.text.text, button.value]);
    expect(pageButtons(first)).toEqual([['Next ›', '1']]);
    expect(pageButtons(middle)).toEqual([
      ['‹ Previous', '0'],
      ['Next ›', '2'],
    ]);
    expect(pageButtons(last)).toEqual([['‹ Previous', '1']]);
    expect(bucketsShown(last)).toEqual([
      'bucket-40',
      'bucket-41',
      'bucket-42',
      'bucket-43',
      'bucket-44',
    ]);
    expect(visibleText(last)).toContain('page 3 of 3, showing 41–45');
    expect(parseHomeMetadata(last.private_metadata)?.page).toBe(2);
  });

  it('ends with the latest 10 entries of the audit trail, newest first', () => {
    const recent: AuditEntry[] = Array.from({ length: 12 }, (_, i) => ({
      at: minutesAgo(i),
      actor: i % 2 === 0 ? 'monitor' : 'U0BOB',
      action: i % 2 === 0 ? 'monitor_alert' : 'remove',
      bucket: `bucket-${i}`,
      outcome: i % 2 === 0 ? 'Failed: Challenge file' : 'removed',
    }));

    const text = visibleText(buildHomeView(input({ recent })));
    const lines = text.split('*Recent activity*\n')[1].split('\n');

    expect(lines).toHaveLength(10);
    expect(lines[0]).toContain('The monitor alerted about `bucket-0`: Failed: Challenge file');
    expect(lines[1]).toContain('<@U0BOB> removed `bucket-1`: removed');
  });

  it('escapes what it shows of saved text', () => {
    const view = buildHomeView(
      input({
        destinations: [
          destination('acme-data-lake', {
            lastCheck: { at: minutesAgo(1), ok: false, summary: 'Failed <!channel> & co' },
          }),
        ],
      }),
    );

    expect(visibleText(view)).toContain('Failed &lt;!channel&gt; &amp; co');
    expect(visibleText(view)).not.toContain('<!channel>');
  });

  it('shows a notice at the top when there is one', () => {
    const view = buildHomeView(input({ notice: 'Checking `acme-data-lake`…' }));

    expect(visibleText(view)).toContain('Checking `acme-data-lake`…');
  });

  it('says where results go for a destination set up from the App Home', () => {
    const view = buildHomeView(
      input({ destinations: [destination('acme-data-lake', { channelId: 'D0ALICE' })] }),
    );

    expect(visibleText(view)).toContain('results in direct messages with the bot');
  });
});

describe('relativeTime', () => {
  it.each([
    [0, 'just now'],
    [-5, 'just now'],
    [1, '1 minute ago'],
    [12, '12 minutes ago'],
    [60, '1 hour ago'],
    [150, '3 hours ago'],
    [60 * 24 * 2, '2 days ago'],
  ])('%i minutes is "%s"', (minutes, words) => {
    expect(relativeTime(minutesAgo(minutes), NOW)).toBe(words);
  });
});

describe('checkStrip', () => {
  it('says when no check is kept yet', () => {
    expect(checkStrip([])).toBe('No checks kept yet: the strip starts with the next one.');
  });

  it('shows one check', () => {
    expect(checkStrip(history('-'))).toBe('Last check, oldest first: :red_square:');
  });
});

describe('parseHomeMetadata', () => {
  it.each([undefined, '', 'not json', '{"page":-1}', '{"page":"1"}'])('refuses %p', (raw) => {
    expect(parseHomeMetadata(raw)).toBeUndefined();
  });
});
