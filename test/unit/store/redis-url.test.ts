import { parseRedisUrl } from '../../../src/store/redis-url';

describe('parseRedisUrl', () => {
  it.each(['redis://127.0.0.1:6379', 'rediss://user:secret@cache.example.com:6380/2'])(
    'passes a standalone URL %s through to the client as it is',
    (url) => {
      expect(parseRedisUrl(url)).toEqual({ kind: 'standalone', url });
    },
  );

  it('reads Sentinels, the primary name, the database, credentials and TLS', () => {
    expect(
      parseRedisUrl(
        'rediss-sentinel://app:p%40ss@s1.example.com:26380,s2.example.com,[::1]:26381/main/3',
      ),
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1.example.com', port: 26380 },
        { host: 's2.example.com', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      name: 'main',
      db: 3,
      auth: { username: 'app', password: 'p@ss' },
      tls: true,
    });
  });

  it('defaults the Sentinel database to 0 and takes a password alone', () => {
    expect(parseRedisUrl('redis-sentinel://:only-password@127.0.0.1:26379/mymaster')).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: '127.0.0.1', port: 26379 }],
      name: 'mymaster',
      db: 0,
      auth: { password: 'only-password' },
      tls: false,
    });
  });

  it('reads Cluster seed nodes, defaulting their port to 6379', () => {
    expect(parseRedisUrl('redis-cluster://n1:7000,n2:7001,n3')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
        { host: 'n3', port: 6379 },
      ],
      auth: {},
      tls: false,
    });
  });

  it.each([
    ['localhost:6379', /must start with redis:\/\//],
    ['http://cache:6379', /must start with redis:\/\//],
    ['redis://', /must name a host/],
    ['redis-sentinel://s1:26379', /must name the Sentinel primary/],
    ['redis-sentinel://s1:26379/main/zero', /database number/],
    ['redis-sentinel://s1:26379/main/0/extra', /database number/],
    ['redis-cluster://n1:7000/0', /no database number/],
    ['redis-cluster://n1:7000,,n2', /invalid host:port ""/],
    ['redis-cluster://n1:70000', /invalid port/],
    ['redis-cluster://n1:port', /invalid host:port/],
  ])('rejects %s, saying why', (url, reason) => {
    expect(() => parseRedisUrl(url)).toThrow(reason);
  });

  it('never repeats a password in its complaint', () => {
    expect(() => parseRedisUrl('redis-cluster://:hunter2@n1:99999')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});
