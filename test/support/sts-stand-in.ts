import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** An STS error as the Query API sends it: HTTP status, `Code`, `Message`. */
export interface StsError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export const INVALID_CLIENT_TOKEN_ID: StsError = {
  status: 403,
  code: 'InvalidClientTokenId',
  message: 'The security token included in the request is invalid.',
};

export const SERVICE_UNAVAILABLE: StsError = {
  status: 503,
  code: 'ServiceUnavailable',
  message: 'Service is unavailable at this time.',
};

/** One request that reached the stand-in. */
export interface StsRequest {
  /** The Query API `Action`, e.g. GetCallerIdentity. */
  readonly action: string | null;
  /** AssumeRole's `RoleArn`, `ExternalId` and `RoleSessionName`, as sent. */
  readonly roleArn?: string;
  readonly externalId?: string;
  readonly roleSessionName?: string;
  /** The signing region from the Authorization header (`Credential=AKID/date/<region>/sts/…`). */
  readonly signingRegion?: string;
  readonly accessKeyId?: string;
}

/**
 * AWS STS's Query API over real HTTP on loopback: answers `GetCallerIdentity` with the caller it
 * is told to be, and `AssumeRole` by the roles' trust policies (the ExternalId enforced), in the
 * real XML shape, or with an error; can be closed to play "STS is down".
 */
export interface StsStandIn {
  /** `http://127.0.0.1:<port>`: STS_ENDPOINT. */
  readonly endpoint: string;
  readonly requests: readonly StsRequest[];
  /**
   * The caller ARN GetCallerIdentity returns from now on: to requests signed for `region` only
   * when given (each partition is asked in a region of its own), else to every other request.
   */
  answerCaller(arn: string, region?: string): void;
  /** Answer this error from now on (null: back to answering the caller). */
  answerError(error: StsError | null): void;
  /**
   * Creates (or replaces) a role whose trust policy is `trustPolicy` (JSON, as a customer would
   * paste it). AssumeRole is then judged as AWS STS judges it: allowed when an Allow statement for
   * `sts:AssumeRole` names the caller and every `StringEquals` on `sts:ExternalId` holds; refused
   * with AccessDenied otherwise, also for a role that does not exist (AWS does not tell).
   */
  putRole(roleArn: string, trustPolicy: string): void;
  /** The credentials AssumeRole issues (an S3 stand-in's own keys, so that they work there). */
  issueCredentials(credentials: { accessKeyId: string; secretAccessKey: string }): void;
  reset(): void;
  close(): Promise<void>;
}

/** The ARN STS gives a session of `roleArn` (whose path it leaves out). */
export function assumedRoleSession(roleArn: string, session = 'bot-session'): string {
  const [, partition, , , account, resource] = roleArn.split(':');
  const name = resource.split('/').pop();
  return `arn:${partition}:sts::${account}:assumed-role/${name}/${session}`;
}

/** The account an STS caller ARN names (its fifth field). */
function accountOf(arn: string): string {
  return arn.split(':')[4] ?? '';
}

interface TrustStatement {
  Effect?: string;
  Principal?: { AWS?: string | string[] };
  Action?: string | string[];
  Condition?: { StringEquals?: Record<string, string | string[]> };
}

const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Whether `trustPolicy` lets `caller` assume the role presenting `externalId` (IAM's rules, in part). */
function trusts(trustPolicy: string, caller: string, externalId: string | null): boolean {
  const statements = (JSON.parse(trustPolicy) as { Statement: TrustStatement[] }).Statement;
  return statements.some((statement) => {
    if (statement.Effect !== 'Allow') return false;
    if (!asList(statement.Action).includes('sts:AssumeRole')) return false;
    if (!asList(statement.Principal?.AWS).includes(caller)) return false;
    const required = statement.Condition?.StringEquals?.['sts:ExternalId'];
    return required === undefined || (externalId !== null && asList(required).includes(externalId));
  });
}

function send(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
  res.end(xml);
}

/** Starts the stand-in; it answers `callerArn` until told otherwise. */
export async function startStsStandIn(callerArn: string): Promise<StsStandIn> {
  let caller = callerArn;
  const callersByRegion = new Map<string, string>();
  let error: StsError | null = null;
  const requests: StsRequest[] = [];
  const roles = new Map<string, string>();
  let issued = { accessKeyId: 'ASIASTANDIN', secretAccessKey: 'stand-in-secret' };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const credential = /Credential=([^/]+)\/\d{8}\/([^/]+)\/sts\//.exec(
      req.headers.authorization ?? '',
    );
    const action = form.get('Action');
    requests.push({
      action,
      accessKeyId: credential?.[1],
      signingRegion: credential?.[2],
      ...(action === 'AssumeRole'
        ? {
            roleArn: form.get('RoleArn') ?? undefined,
            externalId: form.get('ExternalId') ?? undefined,
            roleSessionName: form.get('RoleSessionName') ?? undefined,
          }
        : {}),
    });
    const requestId = randomUUID();
    if (error !== null) {
      send(
        res,
        error.status,
        `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${error.status < 500 ? 'Sender' : 'Receiver'}</Type>` +
          `<Code>${error.code}</Code><Message>${error.message}</Message></Error>` +
          `<RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
      return;
    }
    if (action === 'AssumeRole') {
      const roleArn = form.get('RoleArn') ?? '';
      const trustPolicy = roles.get(roleArn);
      if (trustPolicy === undefined || !trusts(trustPolicy, caller, form.get('ExternalId'))) {
        send(
          res,
          403,
          `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>AccessDenied</Code>` +
            `<Message>User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}</Message></Error>` +
            `<RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
        return;
      }
      const session = form.get('RoleSessionName') ?? 'session';
      const expiration = new Date(Date.now() + 3600 * 1000).toISOString();
      send(
        res,
        200,
        `<AssumeRoleResponse xmlns="${NAMESPACE}"><AssumeRoleResult>` +
          `<Credentials><AccessKeyId>${issued.accessKeyId}</AccessKeyId>` +
          `<SecretAccessKey>${issued.secretAccessKey}</SecretAccessKey>` +
          `<SessionToken>stand-in-token-${randomUUID()}</SessionToken>` +
          `<Expiration>${expiration}</Expiration></Credentials>` +
          `<AssumedRoleUser><Arn>${assumedRoleSession(roleArn, session)}</Arn>` +
          `<AssumedRoleId>AROASTANDIN:${session}</AssumedRoleId></AssumedRoleUser>` +
          `</AssumeRoleResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
          '</AssumeRoleResponse>',
      );
      return;
    }
    if (action !== 'GetCallerIdentity') {
      send(
        res,
        400,
        `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>InvalidAction</Code>` +
          `<Message>Could not find operation ${action} for version 2011-06-15</Message></Error>` +
          `<RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
      return;
    }
    const arn = callersByRegion.get(credential?.[2] ?? '') ?? caller;
    send(
      res,
      200,
      `<GetCallerIdentityResponse xmlns="${NAMESPACE}"><GetCallerIdentityResult>` +
        `<Arn>${arn}</Arn><UserId>AROAEXAMPLEID:bot-session</UserId>` +
        `<Account>${accountOf(arn)}</Account></GetCallerIdentityResult>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
        '</GetCallerIdentityResponse>',
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    answerCaller(arn, region) {
      if (region === undefined) caller = arn;
      else callersByRegion.set(region, arn);
    },
    answerError(next) {
      error = next;
    },
    putRole(roleArn, trustPolicy) {
      roles.set(roleArn, trustPolicy);
    },
    issueCredentials(credentials) {
      issued = { ...credentials };
    },
    reset() {
      caller = callerArn;
      callersByRegion.clear();
      roles.clear();
      error = null;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
