import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppError } from '../errors';

const PREFIX = 's3dsec:';
const VERSION = '1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export const CURRENT_KEY_VARIABLE = 'STORE_ENCRYPTION_KEY';
export const PREVIOUS_KEY_VARIABLE = 'STORE_ENCRYPTION_KEY_PREVIOUS';

/** A key that cannot be read, or a sealed value that cannot be opened; never holds the value. */
export class KeyringError extends AppError {
  constructor(
    message: string,
    /** The key id the value was sealed with, when the value names one. */
    readonly keyId?: string,
  ) {
    super('keyring', message);
  }
}

/** True when `value` was sealed by a Keyring (whatever its key). */
export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The key id a sealed value names, or undefined for a plain value. */
export function sealedKeyId(value: string): string | undefined {
  return isSealed(value) ? value.split(':')[2] : undefined;
}

/** What is wrong with `value` as a 32-byte base64 key, or undefined when nothing is. */
export function encryptionKeyProblem(value: string): string | undefined {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    return 'must be base64 (generate one with: openssl rand -base64 32)';
  }
  const length = Buffer.from(trimmed, 'base64').length;
  return length === KEY_BYTES
    ? undefined
    : `must be ${KEY_BYTES} bytes in base64, not ${length} (generate one with: openssl rand -base64 32)`;
}

function decodeKey(variable: string, value: string): Buffer {
  const problem = encryptionKeyProblem(value);
  if (problem) throw new KeyringError(`${variable} ${problem}`);
  return Buffer.from(value.trim(), 'base64');
}

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** AES-256-GCM sealing of secrets stored in Redis, with the key id beside each value. */
export class Keyring {
  /** Short stable id of the current key: the first 8 hex digits of SHA-256 of its bytes. */
  readonly currentKeyId: string;
  /** The previous key's id, while rotating. */
  readonly previousKeyId?: string;

  private constructor(
    private readonly current: Buffer,
    private readonly keys: ReadonlyMap<string, Buffer>,
    previousKeyId?: string,
  ) {
    this.currentKeyId = keyIdOf(current);
    if (previousKeyId !== undefined) this.previousKeyId = previousKeyId;
  }

  /** From base64 keys (32 bytes each); throws KeyringError naming the variable when one is malformed. */
  static fromKeys(current: string, previous?: string): Keyring {
    const currentKey = decodeKey(CURRENT_KEY_VARIABLE, current);
    const keys = new Map([[keyIdOf(currentKey), currentKey]]);
    let previousKeyId: string | undefined;
    if (previous !== undefined && previous.trim() !== '') {
      const previousKey = decodeKey(PREVIOUS_KEY_VARIABLE, previous);
      previousKeyId = keyIdOf(previousKey);
      if (!keys.has(previousKeyId)) keys.set(previousKeyId, previousKey);
    }
    return new Keyring(currentKey, keys, previousKeyId);
  }

  /** 's3dsec:1:<kid>:<iv b64url>:<tag b64url>:<ciphertext b64url>', a fresh random 12-byte IV each time. */
  seal(plaintext: string): string {
    const header = `${PREFIX}${VERSION}:${this.currentKeyId}`;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv);
    // The header is authenticated too, so a value cannot be relabelled with another key id.
    cipher.setAAD(Buffer.from(header));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [header, iv, tag, ciphertext].map(part64).join(':');
  }

  /**
   * The plaintext; a value without the 's3dsec:' prefix is returned unchanged (stored before
   * encryption was turned on). Throws KeyringError (naming the key id, never the value) for an
   * unknown key id or a value that fails authentication.
   */
  open(value: string): string {
    if (!isSealed(value)) return value;
    const parts = value.split(':');
    const [, version, keyId, iv, tag, ciphertext] = parts;
    if (parts.length !== 6 || version !== VERSION || !keyId) {
      throw new KeyringError(
        `A sealed secret is not in a form this version reads (s3dsec:${VERSION}:<key id>:…)`,
        keyId,
      );
    }
    const key = this.keys.get(keyId);
    if (!key) {
      throw new KeyringError(
        `A secret was sealed with key id ${keyId}, which is neither ${CURRENT_KEY_VARIABLE} (key id ${this.currentKeyId})` +
          (this.previousKeyId
            ? ` nor ${PREVIOUS_KEY_VARIABLE} (key id ${this.previousKeyId})`
            : '') +
          `; set the key it was sealed with`,
        keyId,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, fromBase64Url(iv!));
      decipher.setAAD(Buffer.from(`${PREFIX}${VERSION}:${keyId}`));
      const tagBytes = fromBase64Url(tag!);
      if (tagBytes.length !== TAG_BYTES) throw new Error('short tag');
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([
        decipher.update(fromBase64Url(ciphertext!)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new KeyringError(
        `A secret sealed with key id ${keyId} failed authentication: it was altered or is corrupt`,
        keyId,
      );
    }
  }

  /** True when `value` is plain or sealed with a key other than the current one (rotation re-seals these). */
  needsResealing(value: string): boolean {
    return sealedKeyId(value) !== this.currentKeyId;
  }
}

/** The header as text, binary parts as base64url. */
function part64(part: string | Buffer): string {
  return typeof part === 'string' ? part : part.toString('base64url');
}

function fromBase64Url(text: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  return Buffer.from(text, 'base64url');
}

/** `plaintext` sealed for storage, or as it is when no key is configured. */
export function sealStored(plaintext: string, keyring: Keyring | undefined): string {
  return keyring ? keyring.seal(plaintext) : plaintext;
}

/**
 * A stored secret opened: plain values as they are; a sealed one needs a keyring, and without one
 * throws a KeyringError saying which key it was sealed with.
 */
export function openStored(value: string, keyring: Keyring | undefined): string {
  if (keyring) return keyring.open(value);
  const keyId = sealedKeyId(value);
  if (keyId === undefined) return value;
  throw new KeyringError(
    `A secret was sealed with key id ${keyId}, but ${CURRENT_KEY_VARIABLE} is not set`,
    keyId,
  );
}
