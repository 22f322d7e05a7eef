import { Webhook } from 'standardwebhooks';
import { WEBHOOK_HEADERS } from '../api/change-event';
import { MissingSettingError } from '../errors';

/** The Standard Webhooks request headers, named with the event they carry. */
export { WEBHOOK_HEADERS };

const SECRET_PREFIX = 'whsec_';
/** The specification asks for 24 to 64 random bytes. */
const MIN_SECRET_BYTES = 24;
export const HOW_TO_MAKE_A_SECRET = 'make one with: echo "whsec_$(openssl rand -base64 32)"';

/** Why `secret` is not a Standard Webhooks secret (`whsec_` and base64 of 24+ bytes), or undefined. */
export function webhookSecretProblem(secret: string): string | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return `does not start with ${SECRET_PREFIX}`;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded)) {
    return `is not ${SECRET_PREFIX} followed by base64`;
  }
  if (Buffer.from(encoded, 'base64').length < MIN_SECRET_BYTES) {
    return `holds fewer than ${MIN_SECRET_BYTES} bytes`;
  }
  return undefined;
}

/** The secrets of LOADER_WEBHOOK_SECRET: one or several `whsec_…`, separated by spaces. */
export function splitWebhookSecrets(value: string): string[] {
  return value.split(/\s+/).filter(Boolean);
}

/**
 * Signs events as Standard Webhooks does, with each secret: while a receiver moves to a new
 * secret, both sign and either verifies.
 */
export class EventSigner {
  private readonly webhooks: readonly Webhook[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new MissingSettingError('no webhook secret to sign with');
    this.webhooks = secrets.map((secret) => new Webhook(secret));
  }

  /** The headers of one delivery: the event's id, the time, one `v1,<base64>` per secret. */
  headers(eventId: string, body: string, at: Date): Record<string, string> {
    return {
      [WEBHOOK_HEADERS.id]: eventId,
      [WEBHOOK_HEADERS.timestamp]: String(Math.floor(at.getTime() / 1000)),
      [WEBHOOK_HEADERS.signature]: this.webhooks
        .map((webhook) => webhook.sign(eventId, at, body))
        .join(' '),
    };
  }
}
