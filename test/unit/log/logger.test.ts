import { inspect } from 'node:util';
import { createLogger, toSlackLogger } from '../../../src/log/logger';

const CHALLENGE = 's3-destination-challenge-file-0f8fad5b-d9cb-469f-a165-70867728950e';

function capture(level: 'trace' | 'info' = 'trace', secrets: string[] = []) {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    secrets,
    destination: { write: (line) => lines.push(line) },
  });
  return { logger, lines };
}

describe('the logger', () => {
  it('writes JSON lines at the configured level', () => {
    const { logger, lines } = capture('info');

    logger.debug('hidden');
    logger.info({ bucket: 'b' }, 'shown');

    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 30, msg: 'shown', bucket: 'b' });
  });

  it.each([
    ['a bot token', 'xoxb-12345-67890-abcdef'],
    ['an app token', 'xapp-1-A0-12345-abcdef'],
    ['a challenge name', CHALLENGE],
    ['a response_url', 'https://hooks.slack.com/commands/T0/123/abc'],
    ['the signing secret', 'my-signing-secret-value'],
  ])('redacts %s wherever it appears, Bolt’s debug dumps included', (_name, secret) => {
    const { logger, lines } = capture('trace', ['my-signing-secret-value']);
    const bolt = toSlackLogger(logger);

    logger.info({ nested: { value: secret } }, `message ${secret}`);
    bolt.debug(`http request body: {"blocks":[{"text":"${secret}"}]}`, { also: secret });

    const written = lines.join('\n');
    expect(lines).toHaveLength(2);
    expect(written).not.toContain(secret);
    expect(written).toContain('[REDACTED]');
  });

  it('formats what Bolt says only at a level it writes', () => {
    const { logger, lines } = capture('info');
    const bolt = toSlackLogger(logger);
    let formatted = 0;
    const payload = {
      [inspect.custom]: () => {
        formatted += 1;
        return 'the request body';
      },
    };

    bolt.debug('request:', payload);
    bolt.info('request:', payload);

    expect(formatted).toBe(1);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]).msg).toBe('request: the request body');
  });

  it('reports its level to Bolt and ignores Bolt changing it', () => {
    const { logger } = capture('info');
    const bolt = toSlackLogger(logger);

    bolt.setLevel('debug' as never);

    expect(bolt.getLevel()).toBe('info');
    expect(logger.level).toBe('info');
  });
});
