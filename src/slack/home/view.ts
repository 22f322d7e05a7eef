import type { types } from '@slack/bolt';
import { z } from 'zod';
import type { AuditEntry } from '../../store/audit';
import type { CheckHistoryEntry } from '../../store/check-history';
import type { SavedDestination } from '../../store/types';
import { ACTION, HOME_CALLBACK_ID } from '../ids';
import { settingsFields } from '../views/check-result';
import { activityLine } from '../views/destination-list';
import { adminsBlocks, type HomeAdmins } from './admins-view';
import { escapeText, inlineCode, slackDate } from '../views/mrkdwn';

/**
 * Destinations per page. Each takes four blocks (divider, settings, status, buttons); the page
 * also holds the header, the summary, a note, a notice, the page buttons and the recent
 * activity, and a note for members or the Admins section (two blocks) for admins in OAuth
 * mode: 8 + 4 × 20 = 88, within Slack's 100 blocks per view.
 */
export const HOME_PAGE_SIZE = 20;

/** How many audit entries the App Home ends with. */
export const HOME_RECENT_ACTIVITY = 10;

/** Slack's limit on a section's text. */
const MAX_SECTION_TEXT = 3000;

/** What the App Home view carries in `private_metadata`: never a challenge name. */
export const homeMetadataSchema = z.object({
  page: z.number().int().nonnegative(),
  /** The user's direct-message channel with the bot: where a setup started here is answered. */
  channelId: z.string().min(1).optional(),
});
export type HomeMetadata = z.infer<typeof homeMetadataSchema>;

/** Parses the App Home's private_metadata; undefined when it is missing or not ours. */
export function parseHomeMetadata(raw: string | undefined): HomeMetadata | undefined {
  if (!raw) return undefined;
  try {
    const parsed = homeMetadataSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface HomeViewInput {
  /** Every saved destination of the workspace; the view sorts and pages them. */
  readonly destinations: readonly SavedDestination[];
  /** The kept checks of (at least) the destinations on the page, oldest first. */
  readonly histories: ReadonlyMap<string, readonly CheckHistoryEntry[]>;
  /** The workspace's newest audit entries, newest first. */
  readonly recent: readonly AuditEntry[];
  readonly page: number;
  /** Whether the viewer may set up and remove (the workspace's admins, or ADMIN_USER_IDS). */
  readonly isAdmin: boolean;
  /** The Admins section, for an admin in OAuth mode. */
  readonly admins?: HomeAdmins;
  /** When the view is built: relative times are computed from it. */
  readonly now: Date;
  /** The viewer's direct-message channel with the bot, kept in private_metadata. */
  readonly channelId?: string;
  /** One line at the top: what just happened to what the viewer asked for. */
  readonly notice?: string;
}

/** Failing or unpostable destinations need someone: they come first. */
function needsAttention(destination: SavedDestination): boolean {
  return !destination.lastCheck.ok || destination.channelUnreachable !== undefined;
}

/** The destinations in the order the App Home shows them: those needing attention, then by bucket. */
export function sortForHome(destinations: readonly SavedDestination[]): SavedDestination[] {
  return [...destinations].sort((a, b) => {
    const attention = Number(needsAttention(b)) - Number(needsAttention(a));
    if (attention !== 0) return attention;
    const [x, y] = [a.settings.bucket, b.settings.bucket];
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** The page of destinations shown, the page number (clamped) and the number of pages. */
export function homePage(
  destinations: readonly SavedDestination[],
  requestedPage: number,
): { shown: SavedDestination[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(destinations.length / HOME_PAGE_SIZE));
  const page = Math.min(Math.max(0, Math.floor(requestedPage)), pages - 1);
  const shown = sortForHome(destinations).slice(page * HOME_PAGE_SIZE, (page + 1) * HOME_PAGE_SIZE);
  return { shown, page, pages };
}

/** "just now", "12 minutes ago", "3 hours ago", "2 days ago": from `iso` to `now`. */
export function relativeTime(iso: string, now: Date): string {
  const ms = now.getTime() - Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 24) return plural(hours, 'hour');
  return plural(Math.round(hours / 24), 'day');
}

/**
 * A relative time Slack renders for each reader when they look ("12 minutes ago"), so a view
 * published a while ago stays true; the text computed at `now` is the fallback.
 */
function slackAgo(iso: string, now: Date): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  const text = relativeTime(iso, now);
  return Number.isFinite(seconds) ? `<!date^${seconds}^{ago}|${text}>` : text;
}

/** Where a destination's results and alerts go, in words. */
function whereTold(channelId: string): string {
  // A setup started in the App Home is answered in the bot's direct messages with that person.
  return channelId.startsWith('D') ? 'direct messages with the bot' : `<#${channelId}>`;
}

/** The last checks as a strip, oldest first: one square each, green passed, red failed. */
export function checkStrip(history: readonly CheckHistoryEntry[]): string {
  if (history.length === 0) return 'No checks kept yet: the strip starts with the next one.';
  const squares = history.map((entry) => (entry.ok ? ':large_green_square:' : ':red_square:'));
  const label = history.length === 1 ? 'Last check' : `Last ${history.length} checks`;
  return `${label}, oldest first: ${squares.join('')}`;
}

function statusText(destination: SavedDestination): string {
  const unreachable = destination.channelUnreachable;
  const bucket = `*${inlineCode(destination.settings.bucket)}*`;
  const headline = unreachable
    ? `:warning: ${bucket} · *channel unreachable*`
    : destination.lastCheck.ok
      ? `:white_check_mark: ${bucket} · passing`
      : `:x: ${bucket} · *last check failed*`;
  const failing = unreachable && !destination.lastCheck.ok ? ' · :x: *last check failed*' : '';
  const detail = unreachable
    ? `\nThe bot cannot post in <#${destination.channelId}> (${escapeText(unreachable.error)}) since ${slackDate(unreachable.since)}: alerts go to <@${destination.connectedBy}> directly. Invite the bot to the channel.`
    : '';
  return `${headline}${failing}${detail}`;
}

function connectedField(destination: SavedDestination): types.MrkdwnElement {
  const when = destination.connectedAt ?? destination.verifiedAt;
  return {
    type: 'mrkdwn',
    text: `*Connected*\nby <@${destination.connectedBy}> ${slackDate(when)}\nresults in ${whereTold(destination.channelId)}`,
  };
}

function removeButton(bucket: string): types.Button {
  return {
    type: 'button',
    action_id: ACTION.homeRemove,
    style: 'danger',
    text: { type: 'plain_text', text: 'Remove' },
    value: bucket,
    confirm: {
      title: { type: 'plain_text', text: 'Remove this destination?' },
      text: {
        type: 'plain_text',
        text: `Remove ${bucket}? The bot stops checking it and tells its channel. The bucket and its files are not touched.`,
      },
      confirm: { type: 'plain_text', text: 'Remove' },
      deny: { type: 'plain_text', text: 'Keep it' },
      style: 'danger',
    },
  };
}

function destinationBlocks(
  destination: SavedDestination,
  history: readonly CheckHistoryEntry[],
  input: HomeViewInput,
): types.KnownBlock[] {
  const { bucket } = destination.settings;
  const check = destination.lastCheck;
  const buttons: types.Button[] = [
    {
      type: 'button',
      action_id: ACTION.homeVerify,
      text: { type: 'plain_text', text: 'Check now' },
      value: bucket,
    },
    ...(input.isAdmin ? [removeButton(bucket)] : []),
  ];
  return [
    { type: 'divider' },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: statusText(destination) },
      // The bucket heads the section: the fields after settingsFields' first one (Bucket).
      fields: [...settingsFields(destination.settings).slice(1), connectedField(destination)],
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Last check ${slackAgo(check.at, input.now)}: ${check.ok ? ':white_check_mark:' : ':x:'} ${escapeText(check.summary)} · verified ${slackDate(destination.verifiedAt)}`,
        },
        { type: 'mrkdwn', text: checkStrip(history) },
      ],
    },
    { type: 'actions', elements: buttons },
  ];
}

function setupButton(): types.Button {
  return {
    type: 'button',
    action_id: ACTION.homeSetup,
    style: 'primary',
    text: { type: 'plain_text', text: 'Set up a bucket' },
  };
}

function pageButtons(page: number, pages: number): types.KnownBlock[] {
  if (pages <= 1) return [];
  const button = (text: string, target: number): types.Button => ({
    type: 'button',
    action_id: ACTION.homePage,
    text: { type: 'plain_text', text },
    value: String(target),
  });
  const elements: types.Button[] = [];
  if (page > 0) elements.push(button('‹ Previous', page - 1));
  if (page < pages - 1) elements.push(button('Next ›', page + 1));
  return [{ type: 'actions', elements }];
}

/** The recent activity as one section, its oldest lines left out if Slack's limit needs it. */
function activityBlocks(recent: readonly AuditEntry[]): types.KnownBlock[] {
  if (recent.length === 0) return [];
  const lines = recent.slice(0, HOME_RECENT_ACTIVITY).map(activityLine);
  let text = `*Recent activity*\n${lines.join('\n')}`;
  while (text.length > MAX_SECTION_TEXT && lines.length > 1) {
    lines.pop();
    text = `*Recent activity*\n${lines.join('\n')}`;
  }
  return [
    { type: 'divider' },
    { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, MAX_SECTION_TEXT) } },
  ];
}

/**
 * The App Home: the workspace's destinations (failing or unpostable first, a page at a time),
 * each with its settings, who connected it, its last check and a strip of its last checks, and
 * buttons to check it now or remove it (admins); then the workspace's recent activity. An empty
 * workspace gets a short welcome. Never shows a challenge name.
 */
export function buildHomeView(input: HomeViewInput): types.HomeView {
  const { destinations, isAdmin } = input;
  const { shown, page, pages } = homePage(destinations, input.page);
  const metadata: HomeMetadata = {
    page,
    ...(input.channelId ? { channelId: input.channelId } : {}),
  };
  const adminNote: types.KnownBlock[] = isAdmin
    ? []
    : [
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: 'Only the workspace’s S3 destination admins can set up or remove destinations. Anyone can check one now.',
            },
          ],
        },
      ];
  const notice: types.KnownBlock[] = input.notice
    ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: input.notice }] }]
    : [];

  let summary: types.KnownBlock;
  if (destinations.length === 0) {
    const welcome =
      '*Welcome!* This bot connects an Amazon S3 bucket as a load destination: it checks the bucket, hands you a least-privilege bucket policy, proves it can list, read and write the bucket, tells your channel and keeps watching it.\nNo destinations are connected in this workspace yet.';
    summary = isAdmin
      ? { type: 'section', text: { type: 'mrkdwn', text: welcome }, accessory: setupButton() }
      : { type: 'section', text: { type: 'mrkdwn', text: welcome } };
  } else {
    const attention = destinations.filter(needsAttention).length;
    const range =
      pages > 1
        ? ` · page ${page + 1} of ${pages}, showing ${page * HOME_PAGE_SIZE + 1}–${page * HOME_PAGE_SIZE + shown.length}`
        : '';
    const count =
      destinations.length === 1 ? '1 destination' : `${destinations.length} destinations`;
    const attentionText =
      attention === 0
        ? ''
        : ` · :warning: ${attention} ${attention === 1 ? 'needs' : 'need'} attention`;
    const text = `*${count}* in this workspace${attentionText}${range}`;
    summary = isAdmin
      ? { type: 'section', text: { type: 'mrkdwn', text }, accessory: setupButton() }
      : { type: 'section', text: { type: 'mrkdwn', text } };
  }

  return homeView(metadata, [
    summary,
    ...adminNote,
    ...notice,
    ...shown.flatMap((destination) =>
      destinationBlocks(destination, input.histories.get(destination.settings.bucket) ?? [], input),
    ),
    ...pageButtons(page, pages),
    ...(isAdmin && input.admins ? adminsBlocks(input.admins) : []),
    ...activityBlocks(input.recent),
  ]);
}

/** The App Home when the workspace's destinations could not be read: what happened, nothing stale. */
export function buildHomeProblemView(problem: string, metadata: HomeMetadata): types.HomeView {
  return homeView(metadata, [{ type: 'section', text: { type: 'mrkdwn', text: problem } }]);
}

/** The App Home's frame: its callback id, its metadata and its header above `blocks`. */
function homeView(metadata: HomeMetadata, blocks: types.KnownBlock[]): types.HomeView {
  return {
    type: 'home',
    callback_id: HOME_CALLBACK_ID,
    private_metadata: JSON.stringify(metadata),
    blocks: [{ type: 'header', text: { type: 'plain_text', text: 'S3 destinations' } }, ...blocks],
  };
}
