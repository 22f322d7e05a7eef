import { PARTITIONS, partitionForRegion, type Partition } from './partition';

/** The IAM principal (role or user ARN) written into bucket policies, per partition served. */
export type Principals = Readonly<Partial<Record<Partition, string>>>;

/** An IAM role or user, read from its ARN. */
export interface IamPrincipal {
  readonly partition: string;
  /** 12 digits on AWS; empty or a tenant name on an S3-compatible engine such as Ceph RGW. */
  readonly account: string;
  readonly kind: 'role' | 'user';
  /** `/` or `/a/b/`. */
  readonly path: string;
  readonly name: string;
}

export interface PrincipalRules {
  /** An S3-compatible engine: the account may be empty (RGW's tenant-less users) or a tenant. */
  readonly s3Compatible: boolean;
}

export type IamPrincipalParse =
  { ok: true; principal: IamPrincipal } | { ok: false; problem: string };

const EXAMPLE = 'arn:aws:iam::123456789012:role/loader';
// IAM's limits. Paths may hold any printable ASCII in IAM, but the ARN is pasted into shell
// commands and JSON, so path segments are held to the characters names allow.
const NAME_CHARACTERS = /^[\w+=,.@-]+$/;
const NAME_LIMIT = 64;
const PATH_LIMIT = 512;
const AWS_ACCOUNT = /^\d{12}$/;
const TENANT = /^[\w-]{0,64}$/;

/** Reads an IAM role or user ARN, or says what is wrong with it (for "<VARIABLE> <problem>"). */
export function parseIamPrincipal(arn: string, rules: PrincipalRules): IamPrincipalParse {
  const fail = (problem: string): IamPrincipalParse => ({ ok: false, problem });
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[1] === '') {
    return fail(`must be an IAM role or user ARN such as ${EXAMPLE}`);
  }
  const [, partition, service, region, account, resource] = parts;
  if (service === 'sts') {
    return fail(
      `is an STS session ARN: use the ARN of the role itself, such as arn:${partition}:iam::${account || '123456789012'}:role/loader`,
    );
  }
  if (service !== 'iam')
    return fail(`must be an IAM ARN (arn:${partition}:iam::…), not ${service}`);
  if (region !== '') return fail(`must have no region (IAM ARNs have none), not "${region}"`);
  if (rules.s3Compatible ? !TENANT.test(account) : !AWS_ACCOUNT.test(account)) {
    return fail(
      account === ''
        ? `has no account id: it needs the 12-digit AWS account id, as in ${EXAMPLE}`
        : `must have a 12-digit AWS account id, not "${account}"`,
    );
  }
  const slash = resource.indexOf('/');
  const kind = resource.slice(0, slash);
  if (slash < 0 || (kind !== 'role' && kind !== 'user')) {
    return fail(`must name a role or a user (…:role/<name> or …:user/<name>), as in ${EXAMPLE}`);
  }
  const segments = resource.slice(slash + 1).split('/');
  const name = segments.pop() ?? '';
  if (name === '') {
    return fail(
      segments.length > 0
        ? `ends with "/": the ${kind} name is missing`
        : `has an empty ${kind} name`,
    );
  }
  if (segments.some((segment) => segment === '')) {
    return fail(`has an empty path segment ("//") before the ${kind} name`);
  }
  if (!NAME_CHARACTERS.test(name)) {
    return fail(
      `has a ${kind} name with characters IAM does not allow (only letters, digits and + = , . @ _ -)`,
    );
  }
  if (name.length > NAME_LIMIT) {
    return fail(
      `has a ${kind} name of ${name.length} characters; IAM allows at most ${NAME_LIMIT}`,
    );
  }
  const path = segments.length === 0 ? '/' : `/${segments.join('/')}/`;
  if (!segments.every((segment) => NAME_CHARACTERS.test(segment))) {
    return fail('has a path with characters other than letters, digits and + = , . @ _ -');
  }
  if (path.length > PATH_LIMIT) {
    return fail(`has a path of ${path.length} characters; IAM allows at most ${PATH_LIMIT}`);
  }
  return { ok: true, principal: { partition, account, kind, path, name } };
}

/**
 * True when `callerArn` (what sts:GetCallerIdentity answered) is `principalArn`: the same user,
 * or a session of the same role in the same partition and account. An assumed-role ARN carries
 * the role's name but not its path, so a role is matched on partition, account and name.
 */
export function callerIsPrincipal(callerArn: string, principalArn: string): boolean {
  const principal = parseIamPrincipal(principalArn, { s3Compatible: true });
  if (!principal.ok) return false;
  if (principal.principal.kind === 'user') return callerArn === principalArn;
  const session = /^arn:([^:]+):sts::([^:]*):assumed-role\/([^/]+)\/[^/]+$/.exec(callerArn);
  if (!session) return false;
  const [, partition, account, roleName] = session;
  const { partition: p, account: a, name } = principal.principal;
  return partition === p && account === a && roleName === name;
}

/** The principal for a bucket in `region`: the one of the region's partition, if the bot has one. */
export function principalForRegion(
  settings: { readonly principals: Principals },
  region: string,
): string | undefined {
  return settings.principals[partitionForRegion(region)];
}

/** The partitions that have a principal, in the region picker's order. */
export function servedPartitions(principals: Principals): Partition[] {
  return PARTITIONS.filter((partition) => principals[partition] !== undefined);
}
