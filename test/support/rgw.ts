import { S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { CEPH, describeWith } from './system-packages';

const run = promisify(execFile);
const CLUSTER_SCRIPT = join(__dirname, '..', '..', 'scripts', 'rgw-cluster.sh');
// Below the tests' 90 s beforeAll, so a slow start is killed (and cleans up after itself) with
// a reason, rather than finishing unseen after jest has given up and leaving daemons behind.
const START_TIMEOUT_MS = 80_000;
const STOP_TIMEOUT_MS = 30_000;
const ADMIN_TIMEOUT_MS = 30_000;

/**
 * RGW checks the signature but not the region in its scope, and its only zonegroup is `default`:
 * CreateBucket accepts no LocationConstraint (what the SDK sends for us-east-1) or `default`, and
 * rejects any other region with InvalidLocationConstraint. us-east-1 also keeps ARNs in `aws`.
 */
export const RGW_REGION = 'us-east-1';

/**
 * `describe` for the tests that start a Ceph cluster, or `describe.skip` when jest's global set-up
 * found no Ceph outside CI (it has already said how to install it, once for the whole run).
 */
export const describeWithRgw: jest.Describe = describeWith(CEPH);

/** An RGW user with its S3 keys; tenant-less, so its ARN is `arn:aws:iam:::user/<uid>`. */
export interface RgwUser {
  readonly uid: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly arn: string;
}

/** A throw-away Ceph cluster with radosgw on loopback, gone with `stop()`. */
export interface Rgw {
  /** `http://127.0.0.1:<port>`: use it with forcePathStyle. */
  readonly endpoint: string;
  readonly region: string;
  createUser(uid: string): Promise<RgwUser>;
  /** A client that signs as `user`; destroyed by `stop()`. */
  client(user: RgwUser): S3Client;
  /**
   * Creates a role (tenant-less: `arn:aws:iam:::role/<name>`) with `trustPolicy`, and gives it
   * `permissionsPolicy` as its inline policy `policyName`, as its owner would with the IAM API.
   */
  createRole(
    name: string,
    trustPolicy: string,
    permissions: { policyName: string; policy: string },
  ): Promise<string>;
  /** Grants `user` the admin caps it needs to manage roles through the IAM API. */
  allowRoles(user: RgwUser): Promise<void>;
  /** Kills the daemons by PID and deletes the cluster's directory; safe to call more than once. */
  stop(): Promise<void>;
}

const startedCluster = z.object({ endpoint: z.url(), dir: z.string().min(1) });

const createdUser = z.object({
  user_id: z.string(),
  keys: z
    .array(z.object({ user: z.string(), access_key: z.string(), secret_key: z.string() }))
    .min(1),
});

/**
 * Starts a single-node Ceph cluster (monitor, memstore OSD, radosgw) in a fresh temporary
 * directory and resolves once radosgw answers HTTP; throws with the script's reasons if it cannot.
 * With `sts`, radosgw also serves STS (AssumeRole) and accepts its temporary credentials.
 */
export async function startRgw(options: { sts?: boolean } = {}): Promise<Rgw> {
  const directory = await mkdtemp(join(tmpdir(), 'rgw-'));
  const stopCluster = () =>
    run(CLUSTER_SCRIPT, ['stop', directory], { timeout: STOP_TIMEOUT_MS }).then(() => undefined);

  let endpoint: string;
  let conf: string;
  try {
    const { stdout } = await run(CLUSTER_SCRIPT, ['start', directory], {
      timeout: START_TIMEOUT_MS,
      env: { ...process.env, RGW_STS: options.sts ? '1' : '' },
    });
    const started = startedCluster.parse(JSON.parse(stdout));
    endpoint = started.endpoint;
    conf = join(started.dir, 'ceph.conf');
  } catch (error) {
    // The script already kills its daemons on failure; stopping again also covers a timeout.
    await stopCluster().catch(() => rm(directory, { recursive: true, force: true }));
    const { stderr, killed } = error as { stderr?: string; killed?: boolean };
    const reason = killed ? ` within ${START_TIMEOUT_MS} ms` : '';
    const output = stderr?.trim();
    throw new Error(`Ceph RGW did not start${reason}${output ? `:\n${output}` : ''}`, {
      cause: error,
    });
  }

  const clients: S3Client[] = [];
  let stopped: Promise<void> | undefined;

  const admin = (args: string[]) =>
    run('radosgw-admin', ['--conf', conf, ...args], { timeout: ADMIN_TIMEOUT_MS });

  return {
    endpoint,
    region: RGW_REGION,
    async createRole(name, trustPolicy, permissions) {
      await admin(['role', 'create', '--role-name', name, '--assume-role-policy-doc', trustPolicy]);
      await admin([
        'role-policy',
        'put',
        '--role-name',
        name,
        '--policy-name',
        permissions.policyName,
        '--policy-doc',
        permissions.policy,
      ]);
      return `arn:aws:iam:::role/${name}`;
    },
    async allowRoles(user) {
      await admin(['caps', 'add', '--uid', user.uid, '--caps', 'roles=*']);
    },
    async createUser(uid) {
      const { stdout } = await run(
        'radosgw-admin',
        ['--conf', conf, 'user', 'create', '--uid', uid, '--display-name', uid],
        { timeout: ADMIN_TIMEOUT_MS },
      );
      const user = createdUser.parse(JSON.parse(stdout));
      const key = user.keys.find((candidate) => candidate.user === uid) ?? user.keys[0];
      return {
        uid: user.user_id,
        accessKeyId: key.access_key,
        secretAccessKey: key.secret_key,
        arn: `arn:aws:iam:::user/${user.user_id}`,
      };
    },
    client(user) {
      const client = new S3Client({
        endpoint,
        region: RGW_REGION,
        credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      clients.push(client);
      return client;
    },
    stop() {
      stopped ??= (async () => {
        for (const client of clients) client.destroy();
        await stopCluster();
      })();
      return stopped;
    },
  };
}
