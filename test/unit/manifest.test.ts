import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { SUBCOMMANDS } from '../../src/slack/command-text';
import { CHECK_STEP_CALLBACK_ID, COMMAND } from '../../src/slack/ids';
import { BOT_SCOPES } from '../../src/slack/scopes';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');

interface Manifest {
  _metadata: { major_version: number };
  display_information: {
    name: string;
    description: string;
    long_description?: string;
    background_color?: string;
  };
  features: {
    app_home?: Record<string, unknown>;
    bot_user?: { display_name: string; always_online?: boolean };
    slash_commands?: {
      command: string;
      description: string;
      usage_hint?: string;
      should_escape?: boolean;
    }[];
  };
  oauth_config: { redirect_urls?: string[]; scopes: { bot?: string[]; user?: string[] } };
  settings: {
    event_subscriptions?: { request_url?: string; bot_events?: string[]; user_events?: string[] };
    interactivity?: { is_enabled: boolean };
    socket_mode_enabled?: boolean;
    org_deploy_enabled?: boolean;
    function_runtime?: string;
  };
  functions?: Record<string, Record<string, unknown>>;
}

/** A step's parameter as the manifest declares it. */
interface StepParameter {
  type: string;
  name: string;
  title?: string;
  description?: string;
  is_required?: boolean;
  hint?: string;
}

const manifest = parse(readFileSync(join(ROOT, 'manifest.yml'), 'utf8')) as Manifest;

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const sources = sourceFiles(SRC).map((path) => ({
  path: relative(ROOT, path),
  text: readFileSync(path, 'utf8'),
}));

/**
 * Every Web API method the code calls: `client.chat.postMessage(`, `apiCall('…')`, or the method
 * named in a `callWebApi(client, token, '…', …)` call.
 */
function webApiMethodsCalled(): Map<string, string[]> {
  const called = new Map<string, string[]>();
  const patterns = [
    /\bclient\s*\.\s*([a-z]+(?:\s*\.\s*[a-zA-Z]+)+)\s*\(/g,
    /\bapiCall\s*\(\s*['"`]([a-zA-Z.]+)['"`]/g,
    /\bcallWebApi\s*\(\s*[^,]+,\s*[^,]+,\s*['"`]([a-zA-Z.]+)['"`]/g,
  ];
  for (const { path, text } of sources) {
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) {
        const method = match[1].replace(/\s+/g, '');
        called.set(method, [...(called.get(method) ?? []), path]);
      }
    }
  }
  return called;
}

/** Every Events API event the code listens to: `app.event('…'`, and `app.function(` for steps. */
function eventsListenedTo(): Set<string> {
  const events = new Set<string>();
  for (const { text } of sources) {
    for (const match of text.matchAll(/\bapp\s*\.\s*event\s*\(\s*['"`]([a-z_]+)['"`]/g)) {
      events.add(match[1]);
    }
    // Bolt's app.function listens to function_executed, the event of a workflow running a step.
    if (/\bapp\s*\.\s*function\s*\(/.test(text)) events.add('function_executed');
  }
  return events;
}

/**
 * The bot scopes each bot event needs (docs.slack.dev/reference/events). An event missing from
 * this table fails the test below: add it with its scopes.
 */
const SCOPES_OF_EVENT: Readonly<Record<string, readonly string[]>> = {
  app_home_opened: [],
  app_uninstalled: [],
  tokens_revoked: [],
  function_executed: [],
};

/** Whether any source file registers a listener of this Bolt kind (`app.command(`, …). */
function registers(kind: 'command' | 'action' | 'view' | 'shortcut' | 'options'): boolean {
  const pattern = new RegExp(`\\bapp\\s*\\.\\s*${kind}\\s*\\(`);
  return sources.some(({ text }) => pattern.test(text));
}

/**
 * The bot scopes each Web API method needs (docs.slack.dev/reference/methods). A method missing
 * from this table fails the test below: add it with its scopes, then the manifest follows.
 */
const SCOPES_OF_METHOD: Readonly<Record<string, readonly string[]>> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'conversations.join': ['channels:join'],
  'users.info': ['users:read'],
  // Modals and the App Home need no scope: the trigger_id, view id or user is the permission.
  'views.open': [],
  'views.publish': [],
  'views.update': [],
  'views.push': [],
};

/** The bot scopes the code needs, derived from what it calls and registers. */
function scopesTheCodeNeeds(): { scopes: Set<string>; unknownMethods: string[] } {
  const called = webApiMethodsCalled();
  const scopes = new Set<string>();
  const unknownMethods: string[] = [];
  for (const method of called.keys()) {
    const needed = SCOPES_OF_METHOD[method];
    if (needed === undefined) unknownMethods.push(method);
    else needed.forEach((scope) => scopes.add(scope));
  }
  if (registers('command')) scopes.add('commands');
  for (const event of eventsListenedTo()) {
    const needed = SCOPES_OF_EVENT[event];
    if (needed === undefined) unknownMethods.push(`event ${event}`);
    else needed.forEach((scope) => scopes.add(scope));
  }
  // Results and notices go to the channel a command came from, and the monitor's alerts to the
  // channel where a destination was set up: the bot never joins them, so posting there needs
  // chat:write.public (unless it joins first, which would need channels:join instead).
  if (called.has('chat.postMessage') && !called.has('conversations.join')) {
    scopes.add('chat:write.public');
  }
  return { scopes, unknownMethods };
}

describe('manifest.yml', () => {
  it('targets manifest schema version 1', () => {
    expect(manifest._metadata.major_version).toBe(1);
  });

  it('names and describes the app within Slack’s limits', () => {
    const info = manifest.display_information;
    expect(info.name.length).toBeGreaterThanOrEqual(1);
    expect(info.name.length).toBeLessThanOrEqual(35);
    expect(info.description.length).toBeGreaterThanOrEqual(1);
    expect(info.description.length).toBeLessThanOrEqual(140);
    expect(info.long_description?.length).toBeGreaterThanOrEqual(175);
    expect(info.long_description?.length).toBeLessThanOrEqual(4000);
    expect(info.background_color).toMatch(/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/);
  });

  it('has a bot user, always shown online', () => {
    const bot = manifest.features.bot_user;
    expect(bot?.display_name.length).toBeGreaterThanOrEqual(1);
    expect(bot?.display_name.length).toBeLessThanOrEqual(80);
    expect(bot?.always_online).toBe(true);
  });

  it('declares the one slash command the code answers, with its exact usage hint', () => {
    const commands = manifest.features.slash_commands ?? [];
    expect(commands).toHaveLength(1);
    const [command] = commands;
    expect(command.command).toBe(COMMAND);
    expect(command.command.length).toBeLessThanOrEqual(32);
    expect(command.description.length).toBeGreaterThanOrEqual(1);
    expect(command.description.length).toBeLessThanOrEqual(2000);
    expect(command.usage_hint).toBe(
      'setup | list | verify <bucket> | remove <bucket> | policy <bucket> | help',
    );
    const hinted = command.usage_hint?.split('|').map((part) => part.trim().split(' ')[0]);
    expect(hinted).toEqual([...SUBCOMMANDS]);
  });

  it('enables interactivity, which the buttons and the modal need', () => {
    expect(registers('action') || registers('view')).toBe(true);
    expect(manifest.settings.interactivity?.is_enabled).toBe(true);
  });

  it('subscribes to exactly the bot events the code listens to', () => {
    const events = manifest.settings.event_subscriptions;

    expect([...(events?.bot_events ?? [])].sort()).toEqual([...eventsListenedTo()].sort());
    expect(events?.user_events ?? []).toEqual([]);
    // The schema: event names are strings in a list; a request URL only where there is no socket.
    for (const event of events?.bot_events ?? []) expect(event).toMatch(/^[a-z_.]+$/);
    if (!manifest.settings.socket_mode_enabled) expect(events?.request_url).toMatch(/^https:\/\//);
  });

  it('enables the Home tab the code publishes to, and a read-only Messages tab for its DMs', () => {
    const appHome = manifest.features.app_home ?? {};

    expect(webApiMethodsCalled().has('views.publish')).toBe(true);
    expect(eventsListenedTo().has('app_home_opened')).toBe(true);
    // The schema: only these keys, each a boolean.
    expect(Object.keys(appHome).sort()).toEqual(
      ['home_tab_enabled', 'messages_tab_enabled', 'messages_tab_read_only_enabled'].sort(),
    );
    Object.values(appHome).forEach((value) => expect(typeof value).toBe('boolean'));
    expect(appHome.home_tab_enabled).toBe(true);
    // The monitor and setups started in the Home tab write to people directly (user id as channel).
    expect(appHome.messages_tab_enabled).toBe(true);
    expect(appHome.messages_tab_read_only_enabled).toBe(true);
  });

  it('enables Socket Mode, so no public Request URL is needed', () => {
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });

  it('finds the Web API calls it derives scopes from', () => {
    const called = webApiMethodsCalled();

    // A sanity check on the scan itself: these calls are known to exist.
    expect([...called.keys()]).toEqual(
      expect.arrayContaining(['chat.postMessage', 'chat.postEphemeral', 'views.open']),
    );
  });

  it('knows the scopes of every Web API method the code calls', () => {
    const { unknownMethods } = scopesTheCodeNeeds();

    expect(unknownMethods).toEqual([]);
  });

  it('asks for exactly the bot scopes the code needs, no more and no fewer', () => {
    const { scopes } = scopesTheCodeNeeds();
    const asked = manifest.oauth_config.scopes.bot ?? [];

    expect(new Set(asked).size).toBe(asked.length);
    expect([...asked].sort()).toEqual([...scopes].sort());
    expect(manifest.oauth_config.scopes.user ?? []).toEqual([]);
  });

  it('asks an OAuth install for the scopes the manifest declares', () => {
    expect([...BOT_SCOPES]).toEqual(manifest.oauth_config.scopes.bot);
  });

  it('lets an organization’s admins install it once for every workspace (Enterprise Grid)', () => {
    expect(manifest.settings.org_deploy_enabled).toBe(true);
  });

  it('declares the Workflow Builder step the code registers, run by the app itself', () => {
    expect(Object.keys(manifest.functions ?? {})).toEqual([CHECK_STEP_CALLBACK_ID]);
    expect(sources.some(({ text }) => text.includes('app.function(CHECK_STEP_CALLBACK_ID'))).toBe(
      true,
    );
    expect(manifest.settings.function_runtime).toBe('remote');
    expect(manifest.settings.event_subscriptions?.bot_events).toContain('function_executed');
  });

  it('gives the step its inputs and outputs, with their Slack types', () => {
    const step = manifest.functions?.[CHECK_STEP_CALLBACK_ID] ?? {};
    const inputs = step.input_parameters as Record<string, StepParameter>;
    const outputs = step.output_parameters as Record<string, StepParameter>;

    expect(step.title).toBe('Check an S3 destination');
    expect(String(step.description).length).toBeGreaterThan(0);
    expect(inputs.bucket).toMatchObject({ type: 'string', title: 'Bucket', is_required: true });
    expect(inputs.channel_id).toMatchObject({
      type: 'slack#/types/channel_id',
      title: 'Post the result in',
      is_required: false,
    });
    expect(Object.keys(inputs)).toEqual(['bucket', 'channel_id']);
    const outputTypes = Object.fromEntries(
      Object.entries(outputs).map(([name, parameter]) => [name, parameter.type]),
    );
    expect(outputTypes).toEqual({
      ok: 'boolean',
      summary: 'string',
      checked_at: 'slack#/types/timestamp',
      bucket: 'string',
    });
  });

  it('writes its functions and settings in the shape of Slack’s manifest schema, version 1', () => {
    // The schema's own words: a function has exactly these four keys, a parameter a type from
    // Slack's list and these keys at most, a map of parameters at most 50 of them.
    const parameterKeys = [
      'type',
      'name',
      'title',
      'description',
      'is_required',
      'hint',
      'is_hidden',
    ];
    const slackTypes = ['string', 'boolean', 'integer', 'number', 'object', 'array'];
    for (const step of Object.values(manifest.functions ?? {})) {
      expect(Object.keys(step).sort()).toEqual(
        ['description', 'input_parameters', 'output_parameters', 'title'].sort(),
      );
      expect(typeof step.title).toBe('string');
      expect(typeof step.description).toBe('string');
      for (const key of ['input_parameters', 'output_parameters']) {
        const parameters = Object.entries(step[key] as Record<string, StepParameter>);
        expect(parameters.length).toBeLessThanOrEqual(50);
        for (const [name, parameter] of parameters) {
          expect(parameter.name).toBe(name);
          expect(Object.keys(parameter).every((k) => parameterKeys.includes(k))).toBe(true);
          expect(
            slackTypes.includes(parameter.type) || /^slack#\/types\/[a-z_]+$/.test(parameter.type),
          ).toBe(true);
          expect(typeof parameter.is_required).toBe('boolean');
          for (const text of [parameter.title, parameter.description, parameter.hint]) {
            if (text !== undefined) expect(typeof text).toBe('string');
          }
        }
      }
    }
    const settingsKeys = [
      'allowed_ip_address_ranges',
      'event_subscriptions',
      'incoming_webhooks',
      'interactivity',
      'org_deploy_enabled',
      'socket_mode_enabled',
      'is_hosted',
      'token_rotation_enabled',
      'siws_links',
      'hermes_app_type',
      'function_runtime',
      'is_mcp_enabled',
    ];
    expect(Object.keys(manifest.settings).filter((key) => !settingsKeys.includes(key))).toEqual([]);
    const topLevel = ['_metadata', 'display_information', 'features', 'oauth_config', 'settings'];
    expect(
      Object.keys(manifest).filter((key) => ![...topLevel, 'functions'].includes(key)),
    ).toEqual([]);
  });

  it('declares a redirect URL ending in the path Bolt serves the OAuth callback on', () => {
    const urls = manifest.oauth_config.redirect_urls ?? [];
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatch(/^https:\/\/[^/]+\/slack\/oauth_redirect$/);
  });
});
