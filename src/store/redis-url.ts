import { InvalidRedisUrlError } from '../errors';

/**
 * `REDIS_URL` in its three shapes:
 * - `redis://[user:pass@]host:port[/db]` or `rediss://…` (TLS): one standalone Redis;
 * - `redis-sentinel://[user:pass@]host:port[,host:port…]/<primary name>[/db]` (or `rediss-sentinel`):
 *   ask the Sentinels which node is the primary, and follow failovers;
 * - `redis-cluster://[user:pass@]host:port[,host:port…]` (or `rediss-cluster`): a Redis Cluster,
 *   given any of its nodes.
 */
export type RedisTarget =
  | { readonly kind: 'standalone'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly HostPort[];
      readonly name: string;
      readonly db: number;
      readonly auth: RedisAuth;
      readonly tls: boolean;
    }
  | {
      readonly kind: 'cluster';
      readonly nodes: readonly HostPort[];
      readonly auth: RedisAuth;
      readonly tls: boolean;
    };

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface RedisAuth {
  readonly username?: string;
  readonly password?: string;
}

const SCHEME = /^(rediss?)(?:-(sentinel|cluster))?:\/\/(.*)$/;
const DEFAULT_PORT = { sentinel: 26379, cluster: 6379 } as const;

/** Parses REDIS_URL; throws an InvalidRedisUrlError whose message says what is wrong with it. */
export function parseRedisUrl(url: string): RedisTarget {
  const match = SCHEME.exec(url);
  if (!match) {
    throw new InvalidRedisUrlError(
      'must start with redis://, rediss://, redis-sentinel://, rediss-sentinel://, redis-cluster:// or rediss-cluster://',
    );
  }
  const [, scheme, variant, rest] = match;
  if (!variant) {
    if (!/^\S+$/.test(rest)) throw new InvalidRedisUrlError('must name a host after redis://');
    return { kind: 'standalone', url };
  }
  const kind = variant as 'sentinel' | 'cluster';
  const tls = scheme === 'rediss';

  const at = rest.lastIndexOf('@');
  const auth = at === -1 ? {} : parseAuth(rest.slice(0, at));
  const afterAuth = at === -1 ? rest : rest.slice(at + 1);
  const slash = afterAuth.indexOf('/');
  const hostList = slash === -1 ? afterAuth : afterAuth.slice(0, slash);
  const path =
    slash === -1
      ? []
      : afterAuth
          .slice(slash + 1)
          .split('/')
          .filter(Boolean);
  const hosts = hostList.split(',').map((entry) => parseHostPort(entry, DEFAULT_PORT[kind]));

  if (kind === 'cluster') {
    if (path.length > 0)
      throw new InvalidRedisUrlError('a Redis Cluster has no database number or name in its URL');
    return { kind, nodes: hosts, auth, tls };
  }
  const [name, db = '0'] = path;
  if (!name)
    throw new InvalidRedisUrlError(
      'must name the Sentinel primary: redis-sentinel://host:26379/<name>',
    );
  if (!/^\d+$/.test(db) || path.length > 2) {
    throw new InvalidRedisUrlError(
      'must end with /<primary name> or /<primary name>/<database number>',
    );
  }
  return { kind, sentinels: hosts, name: decodeURIComponent(name), db: Number(db), auth, tls };
}

function parseAuth(userinfo: string): RedisAuth {
  const colon = userinfo.indexOf(':');
  const username = decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon));
  const password = colon === -1 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  return {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

function parseHostPort(entry: string, defaultPort: number): HostPort {
  const match = /^(\[[0-9a-fA-F:]+\]|[^\s:[\]]+)(?::(\d{1,5}))?$/.exec(entry);
  if (!match) throw new InvalidRedisUrlError(`has an invalid host:port ${JSON.stringify(entry)}`);
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65535)
    throw new InvalidRedisUrlError(`has an invalid port in ${JSON.stringify(entry)}`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}
