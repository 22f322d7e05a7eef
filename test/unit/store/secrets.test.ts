import { randomBytes } from 'node:crypto';
import { isSealed, Keyring, KeyringError, sealedKeyId } from '../../../src/store/secrets';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

/** Replaces the part at `index` of a sealed value (3 iv, 4 tag, 5 ciphertext) with other bytes. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split(':');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join(':');
}

describe('Keyring', () => {
  it('opens what it sealed, and the sealed form holds neither the text nor its key', () => {
    const keyring = Keyring.fromKeys(keyA);

    const sealed = keyring.seal('s3d-challenge-7f3a9c');

    expect(sealed).toMatch(
      new RegExp(`^s3dsec:1:${keyring.currentKeyId}:[\\w-]{16}:[\\w-]{22}:[\\w-]+$`),
    );
    expect(sealed).not.toContain('challenge');
    expect(keyring.open(sealed)).toBe('s3d-challenge-7f3a9c');
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKeyId(sealed)).toBe(keyring.currentKeyId);
  });

  it('round-trips the empty text and text beyond ASCII', () => {
    const keyring = Keyring.fromKeys(keyA);

    expect(keyring.open(keyring.seal(''))).toBe('');
    expect(keyring.open(keyring.seal('clé ✓ 🔑'))).toBe('clé ✓ 🔑');
  });

  it('uses a fresh IV each time, so one text seals differently', () => {
    const keyring = Keyring.fromKeys(keyA);

    const first = keyring.seal('same');
    const second = keyring.seal('same');

    expect(first.split(':')[3]).not.toBe(second.split(':')[3]);
    expect(first).not.toBe(second);
  });

  it('gives a short id that stays the same for the same key and differs between keys', () => {
    expect(Keyring.fromKeys(keyA).currentKeyId).toMatch(/^[0-9a-f]{8}$/);
    expect(Keyring.fromKeys(keyA).currentKeyId).toBe(Keyring.fromKeys(keyA).currentKeyId);
    expect(Keyring.fromKeys(keyB).currentKeyId).not.toBe(Keyring.fromKeys(keyA).currentKeyId);
  });

  it('refuses a plain value: planted, or stored before encryption was turned on and not sealed since', () => {
    expect(() => Keyring.fromKeys(keyA).open('s3d-plain-old')).toThrow(KeyringError);
    expect(() => Keyring.fromKeys(keyA).open('s3d-plain-old')).toThrow(/rotate-encryption-key/);
    expect(isSealed('s3d-plain-old')).toBe(false);
    // The rotation takes it as it is, to seal it.
    expect(Keyring.fromKeys(keyA).openToReseal('s3d-plain-old')).toBe('s3d-plain-old');
  });

  it.each([
    ['IV', 3],
    ['tag', 4],
    ['ciphertext', 5],
  ])('refuses a value whose %s was altered, naming the key id and not the text', (_, index) => {
    const keyring = Keyring.fromKeys(keyA);
    const tampered = tamper(keyring.seal('s3d-challenge-secret'), index);

    expect(() => keyring.open(tampered)).toThrow(KeyringError);
    expect(() => keyring.open(tampered)).toThrow(
      new RegExp(`key id ${keyring.currentKeyId} failed authentication`),
    );
  });

  it('refuses a value relabelled with another key id', () => {
    const keyring = Keyring.fromKeys(keyA, keyB);
    const other = Keyring.fromKeys(keyB);
    const parts = keyring.seal('secret').split(':');
    parts[2] = other.currentKeyId;

    expect(() => keyring.open(parts.join(':'))).toThrow(/failed authentication/);
  });

  it('refuses a truncated or malformed sealed value', () => {
    const keyring = Keyring.fromKeys(keyA);
    const sealed = keyring.seal('secret');

    expect(() => keyring.open(sealed.split(':').slice(0, 5).join(':'))).toThrow(KeyringError);
    expect(() => keyring.open(sealed.replace('s3dsec:1:', 's3dsec:2:'))).toThrow(KeyringError);
    expect(() => keyring.open(`${sealed}!`)).toThrow(KeyringError);
  });

  it('still opens values sealed with the previous key, and seals with the current one', () => {
    const old = Keyring.fromKeys(keyA);
    const rotating = Keyring.fromKeys(keyB, keyA);
    const sealedBefore = old.seal('s3d-challenge-old');

    expect(rotating.open(sealedBefore)).toBe('s3d-challenge-old');
    expect(sealedKeyId(rotating.seal('new'))).toBe(Keyring.fromKeys(keyB).currentKeyId);
  });

  it('names an unknown key id, and the ids it has, when a value was sealed with another key', () => {
    const sealed = Keyring.fromKeys(keyA).seal('s3d-challenge-secret');
    const keyring = Keyring.fromKeys(keyB);
    const idA = Keyring.fromKeys(keyA).currentKeyId;

    let thrown: unknown;
    try {
      keyring.open(sealed);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(KeyringError);
    expect((thrown as KeyringError).keyId).toBe(idA);
    expect((thrown as Error).message).toContain(`key id ${idA}`);
    expect((thrown as Error).message).toContain(
      `STORE_ENCRYPTION_KEY (key id ${keyring.currentKeyId})`,
    );
    expect((thrown as Error).message).not.toContain('s3d-challenge-secret');
  });

  it('needs resealing for plain values and values of the previous key only', () => {
    const rotating = Keyring.fromKeys(keyB, keyA);

    expect(rotating.needsResealing('plain')).toBe(true);
    expect(rotating.needsResealing(Keyring.fromKeys(keyA).seal('old'))).toBe(true);
    expect(rotating.needsResealing(rotating.seal('new', 's3d:{T1}:installation'))).toBe(false);
  });

  it.each([
    ['not base64', 'not a key!'],
    ['16 bytes', randomBytes(16).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
  ])('refuses a current key that is %s, naming STORE_ENCRYPTION_KEY', (_, key) => {
    expect(() => Keyring.fromKeys(key)).toThrow(KeyringError);
    expect(() => Keyring.fromKeys(key)).toThrow(/^STORE_ENCRYPTION_KEY must be/);
  });

  it.each([
    ['not base64', '%%%%'],
    ['31 bytes', randomBytes(31).toString('base64')],
  ])('refuses a previous key that is %s, naming STORE_ENCRYPTION_KEY_PREVIOUS', (_, key) => {
    expect(() => Keyring.fromKeys(keyA, key)).toThrow(/^STORE_ENCRYPTION_KEY_PREVIOUS must be/);
  });
});
