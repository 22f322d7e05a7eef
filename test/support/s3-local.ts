import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3ClientFactory, type S3ClientFactory } from '../../src/verify/s3-clients';
import { S3Verifier } from '../../src/verify/verifier';

/** s3rver accepts these credentials and no others. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const LOCAL_S3_REGION = 'us-east-1';

export interface LocalS3 {
  /** `http://127.0.0.1:<port>`: use it with forcePathStyle and LOCAL_S3_CREDENTIALS. */
  readonly endpoint: string;
  /** A client for the server, for whatever the helpers below do not cover. */
  readonly client: S3Client;
  createBucket(bucket: string): Promise<void>;
  /** Puts an object; the body defaults to empty (a blank challenge file). */
  putObject(bucket: string, key: string, body?: Buffer | string): Promise<void>;
  deleteObject(bucket: string, key: string): Promise<void>;
  objectExists(bucket: string, key: string): Promise<boolean>;
  /** Stops the server process and deletes its data; safe to call more than once. */
  stop(): Promise<void>;
}

const CHILD_SCRIPT = join(__dirname, 's3rver-child.js');
const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;

type ChildMessage = { type: 'listening'; port: number } | { type: 'failed'; message: string };

/**
 * Starts a real S3-compatible server (s3rver) in a child process on a random loopback port,
 * storing objects in a fresh temporary directory.
 */
export async function startLocalS3(): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const child = fork(CHILD_SCRIPT, [directory], {
    execArgv: ['--openssl-legacy-provider'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  let port: number;
  try {
    port = await waitForPort(child, () => stderr);
  } catch (error) {
    await stopChild(child);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: LOCAL_S3_REGION,
    credentials: LOCAL_S3_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  let stopped: Promise<void> | undefined;

  return {
    endpoint,
    client,
    async createBucket(bucket) {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    async putObject(bucket, key, body = Buffer.alloc(0)) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async deleteObject(bucket, key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async objectExists(bucket, key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (error) {
        if (
          (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
        ) {
          return false;
        }
        throw error;
      }
    },
    stop() {
      stopped ??= (async () => {
        client.destroy();
        await stopChild(child);
        await rm(directory, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

function waitForPort(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      cleanup();
      const output = stderr().trim();
      reject(new Error(`s3rver did not start: ${reason}${output ? `\n${output}` : ''}`));
    };
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'listening') {
        cleanup();
        resolve(message.port);
      } else {
        fail(message.message);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(`it exited (code ${code}, signal ${signal})`);
    const onError = (error: Error) => fail(error.message);
    const timer = setTimeout(
      () => fail(`no answer within ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    function cleanup() {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** Asks the child to close its server, and kills it if it has not exited after a grace period. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) {
    child.send('stop', (error) => {
      if (error) child.kill('SIGKILL');
    });
  } else {
    child.kill('SIGKILL');
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** A verifier talking to a local S3 endpoint with path-style requests, as the bot's own would. */
export function localVerifier(
  endpoint: string,
  timeoutMs: number,
): { verifier: S3Verifier; clients: S3ClientFactory } {
  const clients = createS3ClientFactory({
    endpoint,
    forcePathStyle: true,
    timeoutMs,
    credentials: LOCAL_S3_CREDENTIALS,
  });
  return { verifier: new S3Verifier(clients, { timeoutMs }), clients };
}
