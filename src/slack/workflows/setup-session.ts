import { randomUUID } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { Deps } from '../../deps-types';
import { audit } from '../../destinations/audit';
import { accessOf } from '../../domain/access';
import { buildBucketPolicy } from '../../domain/bucket-policy';
import { newChallengeKey } from '../../domain/challenge';
import type { DestinationSettings } from '../../domain/destination';
import type { Logger } from '../../log/logger';
import type { SetupSession } from '../../store/types';
import { sendEphemeral } from '../messaging';
import type { SetupMetadata } from '../metadata';
import { buildSetupInstructions } from '../views/setup-instructions';

/** A new setup session for valid settings: what Check and Save will verify. */
export function newSession(
  deps: Deps,
  where: { teamId: string; userId: string; metadata: SetupMetadata },
  settings: DestinationSettings,
): SetupSession {
  return {
    id: randomUUID(),
    teamId: where.teamId,
    userId: where.userId,
    channelId: where.metadata.channelId,
    ...(where.metadata.responseUrl ? { responseUrl: where.metadata.responseUrl } : {}),
    settings,
    challengeKey: newChallengeKey(),
    createdAt: deps.now().toISOString(),
  };
}

/**
 * After the ack: remembers the session as the user's latest setup of the bucket (for `policy`),
 * sends the one-time instructions, and records the setup in the audit trail.
 */
export async function deliverInstructions(
  deps: Deps,
  client: webApi.WebClient,
  session: SetupSession,
  principalArn: string,
  log: Logger,
  replacing: boolean,
): Promise<void> {
  const { bucket, region } = session.settings;
  const access = accessOf(session.settings);
  await deps.sessionIndex
    .remember(session.teamId, session.userId, bucket, session.id)
    .catch((error: unknown) =>
      log.warn({ err: error }, '`policy` will not find this setup: the session index failed'),
    );
  const message = buildSetupInstructions({
    sessionId: session.id,
    settings: session.settings,
    challengeKey: session.challengeKey,
    bucketPolicy: buildBucketPolicy(bucket, region, principalArn),
    ...(access.type === 'iam_role' ? { role: { access, principalArn } } : {}),
    sessionTtlSeconds: deps.settings.sessionTtlSeconds,
    replacing,
  });
  const sent = await sendEphemeral(
    {
      client,
      channelId: session.channelId,
      userId: session.userId,
      responseUrl: session.responseUrl,
    },
    message,
    log,
  );
  if (!sent) log.error({ sessionId: session.id }, 'setup instructions could not be delivered');
  const again = replacing ? ' (set up again)' : '';
  await audit(deps, log, session.teamId, {
    actor: session.userId,
    action: 'setup',
    bucket,
    outcome: `${sent ? 'instructions sent' : 'instructions could not be delivered'}${again}`,
  });
}
