import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppError } from '../errors';

const PREFIX = 's3dsec:';
/** Sealed with only the key id as additional data: from before values were bound to their keys. */
const UNBOUND_VERSION = '1';
/** Sealed with the key id and where the value lives (its Redis key and field) as additional data. */
const BOUND_VERSION = '2';
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

/** The form a sealed value is in ('1' unbound, '2' bound to where it lives), or undefined. */
export function sealedVersion(value: string): string | undefined {
  return isSealed(value) ? value.split(':')[1] : undefined;
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

export interface KeyringOptions {
  /**
   * The keys must first be checked against what Redis holds (`checkStoredKey`): until `confirm`,
   * nothing is sealed or opened, so a wrong key never seals a value nor hides one it cannot open.
   */
  readonly unchecked?: boolean;
}

/**
 * AES-256-GCM sealing of secrets stored in Redis, with the key id beside each value and, as
 * additional data, where the value lives (its Redis key and field): a sealed value copied to
 * another key does not open there.
 */
export class Keyring {
  /** Short stable id of the current key: the first 8 hex digits of SHA-256 of its bytes. */
  readonly currentKeyId: string;
  /** The previous key's id, while rotating. */
  readonly previousKeyId?: string;
  private checked: boolean;
  /** Set once a rotation has bound every value: unbound values are then refused (plain ones always are). */
  private bindingRequired = false;

  private constructor(
    private readonly current: Buffer,
    private readonly keys: ReadonlyMap<string, Buffer>,
    previousKeyId: string | undefined,
    options: KeyringOptions,
  ) {
    this.currentKeyId = keyIdOf(current);
    if (previousKeyId !== undefined) this.previousKeyId = previousKeyId;
    this.checked = !options.unchecked;
  }

  /** From base64 keys (32 bytes each); throws KeyringError naming the variable when one is malformed. */
  static fromKeys(current: string, previous?: string, options: KeyringOptions = {}): Keyring {
    const currentKey = decodeKey(CURRENT_KEY_VARIABLE, current);
    const keys = new Map([[keyIdOf(currentKey), currentKey]]);
    let previousKeyId: string | undefined;
    if (previous !== undefined && previous.trim() !== '') {
      const previousKey = decodeKey(PREVIOUS_KEY_VARIABLE, previous);
      previousKeyId = keyIdOf(previousKey);
      if (!keys.has(previousKeyId)) keys.set(previousKeyId, previousKey);
    }
    return new Keyring(currentKey, keys, previousKeyId, options);
  }

  /** Whether the keys were checked against Redis (or need no check): values may be sealed and opened. */
  get ready(): boolean {
    return this.checked;
  }

  /** The keys open what Redis holds: sealing and opening may begin. */
  confirm(options: { bindingRequired: boolean }): void {
    this.bindingRequired = options.bindingRequired;
    this.checked = true;
  }

  /** Whether unbound values are refused (a rotation has bound every value). */
  get requiresBinding(): boolean {
    return this.bindingRequired;
  }

  private assertChecked(): void {
    if (!this.checked) {
      throw new KeyringError(
        `${CURRENT_KEY_VARIABLE} has not been checked against the secrets in Redis yet (Redis did not answer): nothing is sealed or opened until it is`,
      );
    }
  }

  /**
   * 's3dsec:2:<kid>:<iv b64url>:<tag b64url>:<ciphertext b64url>', a fresh random 12-byte IV each
   * time, bound to `binding` (where the value lives: its Redis key, and field); without one, the
   * unbound form 's3dsec:1:…' (the start-up canary's).
   */
  seal(plaintext: string, binding?: string): string {
    this.assertChecked();
    return this.sealWith(plaintext, binding);
  }

  private sealWith(plaintext: string, binding: string | undefined): string {
    const version = binding === undefined ? UNBOUND_VERSION : BOUND_VERSION;
    const header = `${PREFIX}${version}:${this.currentKeyId}`;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv);
    // The header is authenticated too, so a value cannot be relabelled with another key id; the
    // binding too, so that it cannot be moved to another key.
    cipher.setAAD(additionalData(header, binding));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [header, iv, tag, ciphertext].map(part64).join(':');
  }

  /**
   * The plaintext of a value sealed for `binding`; one sealed before values were bound opens
   * anywhere, until a rotation has bound them all. Throws KeyringError (naming the key id, never
   * the value) for a plain value (without the 's3dsec:' prefix: planted, or stored before
   * encryption was turned on and not sealed since), an unknown key id, a value that fails
   * authentication (altered, or moved from another key) or a value refused in its form.
   */
  open(value: string, binding?: string): string {
    this.assertChecked();
    return this.openWith(value, binding);
  }

  /**
   * The plaintext of a value the rotation is about to seal with the current key: a sealed one
   * opened as `open` opens it, a plain one as it is (written before encryption was turned on; the
   * rotation, run by the operator, is how it gets sealed, and it names every such key).
   */
  openToReseal(value: string, binding?: string): string {
    this.assertChecked();
    return isSealed(value) ? this.openWith(value, binding) : value;
  }

  /** The start-up check's own opening, before the keys are confirmed. */
  openCanary(value: string, binding?: string): string {
    return this.openWith(value, binding);
  }

  /** The start-up check's own sealing, before the keys are confirmed. */
  sealCanary(plaintext: string, binding?: string): string {
    return this.sealWith(plaintext, binding);
  }

  private openWith(value: string, binding: string | undefined): string {
    if (!isSealed(value)) {
      // Only someone who can write to Redis puts a plain value there once the key is set: never
      // trusted, even when it holds what a value of that key would hold.
      throw new KeyringError(
        `A secret is stored in plain text, which is refused while ${CURRENT_KEY_VARIABLE} is set; one written before encryption was turned on is sealed by npm run rotate-encryption-key`,
      );
    }
    const parts = value.split(':');
    const [, version, keyId, iv, tag, ciphertext] = parts;
    const known = version === BOUND_VERSION || version === UNBOUND_VERSION;
    if (parts.length !== 6 || !known || !keyId) {
      throw new KeyringError(
        `A sealed secret is not in a form this version reads (s3dsec:${BOUND_VERSION}:<key id>:…)`,
        keyId,
      );
    }
    if (version === UNBOUND_VERSION && this.bindingRequired && binding !== undefined) {
      throw new KeyringError(
        `A secret sealed with key id ${keyId} is not bound to where it is stored, which is refused once a rotation has bound every secret`,
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
      const header = `${PREFIX}${version}:${keyId}`;
      decipher.setAAD(additionalData(header, version === BOUND_VERSION ? binding : undefined));
      const tagBytes = fromBase64Url(tag!);
      if (tagBytes.length !== TAG_BYTES) throw new KeyringError('short tag');
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

  /**
   * True when `value` is plain, unbound, or sealed with a key other than the current one (the
   * rotation re-seals these).
   */
  needsResealing(value: string): boolean {
    return sealedKeyId(value) !== this.currentKeyId || sealedVersion(value) !== BOUND_VERSION;
  }
}

/** The additional data: the header, and where the value lives when it is bound. */
function additionalData(header: string, binding: string | undefined): Buffer {
  return Buffer.from(binding === undefined ? header : `${header}\n${binding}`);
}

/** The header as text, binary parts as base64url. */
function part64(part: string | Buffer): string {
  return typeof part === 'string' ? part : part.toString('base64url');
}

function fromBase64Url(text: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new KeyringError('not base64url');
  return Buffer.from(text, 'base64url');
}

/** `plaintext` sealed for storage at `binding` (its key and field), or as it is without a key. */
export function sealStored(
  plaintext: string,
  keyring: Keyring | undefined,
  binding: string,
): string {
  return keyring ? keyring.seal(plaintext, binding) : plaintext;
}

/**
 * A stored secret opened: without a keyring, plain values as they are, and a sealed one throws a
 * KeyringError saying which key it was sealed with; with one, only sealed values open.
 */
export function openStored(value: string, keyring: Keyring | undefined, binding: string): string {
  if (keyring) return keyring.open(value, binding);
  const keyId = sealedKeyId(value);
  if (keyId === undefined) return value;
  throw new KeyringError(
    `A secret was sealed with key id ${keyId}, but ${CURRENT_KEY_VARIABLE} is not set`,
    keyId,
  );
}
