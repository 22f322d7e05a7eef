import { parseCommandText, suggestSubcommand } from '../../../src/slack/command-text';

describe('parseCommandText', () => {
  it.each([
    ['', { kind: 'help' }],
    ['   ', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['setup', { kind: 'setup' }],
    ['SETUP', { kind: 'setup' }],
    ['list', { kind: 'list' }],
    ['verify my-bucket', { kind: 'verify', bucket: 'my-bucket' }],
    ['  remove   my-bucket  extra', { kind: 'remove', bucket: 'my-bucket' }],
    ['verify', { kind: 'missing_bucket', subcommand: 'verify' }],
    ['remove', { kind: 'missing_bucket', subcommand: 'remove' }],
    ['policy my-bucket', { kind: 'policy', bucket: 'my-bucket' }],
    ['Policy', { kind: 'missing_bucket', subcommand: 'policy' }],
    ['polcy my-bucket', { kind: 'unknown', input: 'polcy', suggestion: 'policy' }],
    ['stup', { kind: 'unknown', input: 'stup', suggestion: 'setup' }],
    ['lsit', { kind: 'unknown', input: 'lsit', suggestion: 'list' }],
    ['verfy x', { kind: 'unknown', input: 'verfy', suggestion: 'verify' }],
    ['deploy', { kind: 'unknown', input: 'deploy' }],
  ])('reads %j', (text, expected) => {
    expect(parseCommandText(text)).toEqual(expected);
  });

  it('treats a missing text as help', () => {
    expect(parseCommandText(undefined)).toEqual({ kind: 'help' });
  });
});

describe('suggestSubcommand', () => {
  it.each([
    ['remvoe', 'remove'],
    ['hlep', 'help'],
    ['x', undefined],
    ['banana', undefined],
  ])('suggests for %j: %s', (word, expected) => {
    expect(suggestSubcommand(word)).toBe(expected);
  });
});
