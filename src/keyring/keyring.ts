import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

// Stamps are keyed per process: equal within it, meaningless outside, so they reveal nothing about a key.
const STAMP_KEY = randomBytes(32);

/** Where a key's versions come from. */
export type KeySource = 'vault' | 'env' | 'file';

/** One version of a key, without its bytes: safe to print. */
export interface KeyVersionInfo {
  /** `<name>.v<version>`: the JWE `kid`. */
  readonly kid: string;
  readonly version: number;
  /** When this version was created (Vault metadata, the key file's mtime), when known. */
  readonly createdAt: string | undefined;
}

/** A key of the keyring, without its bytes: what `keys list --keyring` prints. */
export interface KeyInfo {
  readonly name: string;
  readonly source: KeySource;
  /** Where: the Vault path, variable name or file path (never a value). */
  readonly location: string;
  /** The version that encrypts and signs. */
  readonly current: KeyVersionInfo;
  /** Every usable version, newest first (the current one included). */
  readonly versions: readonly KeyVersionInfo[];
  readonly rotationDays: number | undefined;
}

/** A key version with its bytes, as the keyring hands it to a stage. */
export interface KeyMaterial {
  readonly name: string;
  readonly kid: string;
  readonly key: Uint8Array;
}

/** What {@link Keyring} is built from. */
export interface ResolvedKey {
  readonly info: KeyInfo;
  /** Bytes by kid. */
  readonly material: ReadonlyMap<string, Uint8Array>;
}

/**
 * The keys of one config load: the current version of each named key and the older versions
 * still inside its rotation overlap, looked up by name or by kid. The bytes live in a private
 * field, so serialising, logging or inspecting a keyring shows names and kids only.
 *
 * @example
 * const { kid, key } = keyring.current('customer-pii');
 * const old = keyring.byKid('customer-pii.v1');
 */
export class Keyring {
  readonly #keys = new Map<string, ResolvedKey>();
  readonly #stamp: string;

  constructor(keys: readonly ResolvedKey[] = []) {
    const mac = createHmac('sha256', STAMP_KEY);
    for (const k of keys) {
      this.#keys.set(k.info.name, k);
      for (const [kid, bytes] of k.material) mac.update(`${kid}\u0000${bytes.length}\u0000`).update(bytes);
    }
    this.#stamp = mac.digest('base64url');
    Object.freeze(this);
  }

  /**
   * Changes whenever any key, version or key byte changes (an HMAC under a per-process random
   * key): for caches that outlive a reload, such as shared authentication providers.
   */
  stamp(): string {
    return this.#stamp;
  }

  /** True when a key of this name resolved. */
  has(name: string): boolean {
    return this.#keys.has(name);
  }

  /** The version of `name` that encrypts and signs now. Throws for an unknown name (config checks catch it first). */
  current(name: string): KeyMaterial {
    const k = this.#keys.get(name);
    if (k === undefined) throw new Error(`keyring has no key "${name}"`);
    const key = k.material.get(k.info.current.kid);
    if (key === undefined) throw new Error(`keyring key "${name}" has no current version`);
    return { name, kid: k.info.current.kid, key };
  }

  /** The version with this kid, while it is inside its key's overlap; undefined otherwise. */
  byKid(kid: string): KeyMaterial | undefined {
    const dot = kid.lastIndexOf('.v');
    if (dot <= 0) return undefined;
    const name = kid.slice(0, dot);
    const key = this.#keys.get(name)?.material.get(kid);
    return key === undefined ? undefined : { name, kid, key };
  }

  /** Every usable version of `name`, newest (current) first; empty for an unknown name. */
  versionsOf(name: string): KeyMaterial[] {
    const k = this.#keys.get(name);
    if (k === undefined) return [];
    return k.info.versions.map((v) => ({ name, kid: v.kid, key: k.material.get(v.kid)! }));
  }

  /** Every key, without bytes. */
  list(): KeyInfo[] {
    return [...this.#keys.values()].map((k) => k.info);
  }

  toJSON(): unknown {
    return { keys: this.list().map((k) => ({ name: k.name, kid: k.current.kid })) };
  }

  [inspect.custom](): string {
    return `Keyring(${this.list().map((k) => k.current.kid).join(', ')})`;
  }
}

/** An empty keyring: configs without a `keyring` section. */
export const EMPTY_KEYRING = new Keyring();
