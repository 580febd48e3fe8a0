import { randomUUID } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, importPKCS8, type CryptoKey, type JWK } from 'jose';
import { z } from 'zod';
import { IssuerError } from '../../core/ports/issuer.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';

/** A public key as the JWKS document publishes it. */
export type PublishedJwk = JWK & { kty: 'EC'; crv: 'P-256'; x: string; y: string; kid: string; alg: 'ES256'; use: 'sig' };

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

/** What a rotation did. */
export interface KeyRotation {
  /** The new current key. */
  kid: string;
  /** The key it replaced, and until when that key stays published (ms since the epoch). */
  previous: { kid: string; retireAfter: number };
}

/** Where a `jwt` issuer's signing keys come from. */
export interface JwtKeySource {
  /**
   * The key to sign a token valid until `validUntilMs` with. The source records that date first, so
   * the key stays published (after a rotation) at least until that token expires.
   */
  signingKey(validUntilMs: number, nowMs: number): Promise<SigningKey>;
  /** The public keys whose tokens may still be valid at `nowMs`: the current key and retiring ones. */
  publishedKeys(nowMs: number): Promise<PublishedJwk[]>;
  /** Makes a new current key; the old one stays published until the last token it signed expires. */
  rotate(nowMs: number): Promise<KeyRotation>;
}

const PrivateJwkSchema = z
  .object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string().min(1), y: z.string().min(1), d: z.string().min(1) })
  .strict();
type PrivateJwk = z.infer<typeof PrivateJwkSchema>;

const StoredKeySchema = z
  .object({
    /** RFC 7638 thumbprint of the public key. */
    kid: z.string().min(1),
    createdAt: z.number(),
    privateJwk: PrivateJwkSchema,
    /** The latest `exp` (in ms) of any token this key signed; 0 before the first. */
    signedUntil: z.number(),
    /** Set when a newer key replaced this one: published until then (ms), dropped after. */
    retireAfter: z.number().optional(),
  })
  .strict();
type StoredKey = z.infer<typeof StoredKeySchema>;

/** The persisted form of `keys.json`. */
const KeysFileSchema = z
  .object({
    version: z.literal(1),
    current: z.string(),
    keys: z.array(StoredKeySchema).min(1),
  })
  .strict()
  .refine((file) => file.keys.some((key) => key.kid === file.current), { path: ['current'], message: 'names no key in keys' });
type KeysFile = z.infer<typeof KeysFileSchema>;

function publicJwkOf(jwk: Pick<PrivateJwk, 'x' | 'y'>, kid: string): PublishedJwk {
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid, alg: 'ES256', use: 'sig' };
}

async function thumbprintOf(jwk: Pick<PrivateJwk, 'x' | 'y'>): Promise<string> {
  return calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y });
}

async function newStoredKey(nowMs: number): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const exported = await exportJWK(privateKey);
  const privateJwk = PrivateJwkSchema.parse({ kty: exported.kty, crv: exported.crv, x: exported.x, y: exported.y, d: exported.d });
  return { kid: await thumbprintOf(privateJwk), createdAt: nowMs, privateJwk, signedUntil: 0 };
}

function currentOf(file: KeysFile): StoredKey {
  const key = file.keys.find((k) => k.kid === file.current);
  if (!key) throw new Error('unreachable: KeysFileSchema checks that the current key exists');
  return key;
}

/** Whether a key's tokens may still be valid at `nowMs` (the current key always is). */
function isPublished(file: KeysFile, key: StoredKey, nowMs: number): boolean {
  return key.kid === file.current || key.retireAfter === undefined || key.retireAfter > nowMs;
}

function parseKeysFile(text: string, where: string): KeysFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IssuerError(`${where} is not valid JSON: restore it from a backup (removing it makes new keys, and tokens issued so far stop verifying)`, false, { cause: error });
  }
  const parsed = KeysFileSchema.safeParse(json);
  if (!parsed.success) {
    // Issue messages name paths and expected types, never the values (which hold private keys).
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`).join('; ');
    throw new IssuerError(`${where} is not a jitbot JWT key file (${problems})`, false);
  }
  return parsed.data;
}

/**
 * Keys jitbot makes itself, kept in `<dir>/keys.json` (mode 0600, directory 0700). Every process that
 * uses the same directory (web, workers) sees the same keys: changes are made under a lock file and
 * written by atomic rename, and readers reload the file when it changed.
 */
export class FileKeyStore implements JwtKeySource {
  private loaded: { identity: string; file: KeysFile } | undefined;
  private readonly imported = new Map<string, CryptoKey>();

  private constructor(
    /** The path of `keys.json`. */
    readonly path: string,
    private readonly lock: FileLockOptions,
  ) {}

  /** Opens the store in `dir`, making the first key if there is none yet. */
  static async open(dir: string, lock: FileLockOptions, nowMs: number): Promise<FileKeyStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const store = new FileKeyStore(path.join(dir, 'keys.json'), lock);
    await store.locked(async () => {
      const text = await readFile(store.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (text === undefined) {
        const key = await newStoredKey(nowMs);
        await store.write({ version: 1, current: key.kid, keys: [key] });
        return;
      }
      parseKeysFile(text, store.path);
      // A copy restored by hand may have lost its mode: private keys are for this user only.
      const { mode } = await stat(store.path);
      if ((mode & 0o077) !== 0) await chmod(store.path, 0o600);
    });
    return store;
  }

  async signingKey(validUntilMs: number, nowMs: number): Promise<SigningKey> {
    const current = currentOf((await this.state()).file);
    if (current.signedUntil >= validUntilMs) return this.signingKeyOf(current);
    return this.locked(async () => {
      const file = await this.readFresh();
      const key = currentOf(file);
      if (key.signedUntil < validUntilMs) {
        key.signedUntil = validUntilMs;
        await this.write(this.pruned(file, nowMs));
      }
      return this.signingKeyOf(key);
    });
  }

  async publishedKeys(nowMs: number): Promise<PublishedJwk[]> {
    const { file } = await this.state();
    return file.keys.filter((key) => isPublished(file, key, nowMs)).map((key) => publicJwkOf(key.privateJwk, key.kid));
  }

  async rotate(nowMs: number): Promise<KeyRotation> {
    return this.locked(async () => {
      const file = await this.readFresh();
      const previous = currentOf(file);
      // Published until the last token it signed expires; a key that signed nothing goes at once.
      previous.retireAfter = previous.signedUntil;
      const next = await newStoredKey(nowMs);
      file.keys.push(next);
      file.current = next.kid;
      await this.write(this.pruned(file, nowMs));
      return { kid: next.kid, previous: { kid: previous.kid, retireAfter: previous.retireAfter } };
    });
  }

  private pruned(file: KeysFile, nowMs: number): KeysFile {
    return { ...file, keys: file.keys.filter((key) => isPublished(file, key, nowMs)) };
  }

  private async signingKeyOf(key: StoredKey): Promise<SigningKey> {
    let privateKey = this.imported.get(key.kid);
    if (!privateKey) {
      privateKey = await importJWK(key.privateJwk, 'ES256');
      this.imported.set(key.kid, privateKey);
    }
    return { kid: key.kid, privateKey };
  }

  /** The file's content, re-read only when the file changed (another process may rotate or sign). */
  private async state(): Promise<{ identity: string; file: KeysFile }> {
    const info = await stat(this.path);
    const identity = `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (this.loaded?.identity !== identity) {
      this.loaded = { identity, file: parseKeysFile(await readFile(this.path, 'utf8'), this.path) };
    }
    return this.loaded;
  }

  private async readFresh(): Promise<KeysFile> {
    return parseKeysFile(await readFile(this.path, 'utf8'), this.path);
  }

  private async write(file: KeysFile): Promise<void> {
    const temporary = `${this.path}.${process.pid}.${randomUUID()}.tmp`;
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(KeysFileSchema.parse(file), null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(`${this.path}.lock`, this.lock, fn);
  }
}

/**
 * One key from a PEM PKCS8 file the operator manages (`keyFile`). It is never rotated by jitbot:
 * to rotate, replace the file and restart (tokens signed by the old key stop verifying).
 */
export class PemKeySource implements JwtKeySource {
  private constructor(
    private readonly key: SigningKey,
    private readonly publicJwk: PublishedJwk,
    private readonly file: string,
  ) {}

  static async load(file: string): Promise<PemKeySource> {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (error) {
      throw new IssuerError(`cannot read keyFile ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, false, { cause: error });
    }
    const notP256 = `keyFile ${file} is not a PEM PKCS8 EC P-256 private key (make one with: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256; convert a SEC1 key with: openssl pkcs8 -topk8 -nocrypt)`;
    let privateKey: CryptoKey;
    let jwk: JWK;
    try {
      privateKey = await importPKCS8(pem, 'ES256', { extractable: true });
      jwk = await exportJWK(privateKey);
    } catch (error) {
      throw new IssuerError(notP256, false, { cause: error });
    }
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new IssuerError(notP256, false);
    const point = { x: jwk.x, y: jwk.y };
    const kid = await thumbprintOf(point);
    return new PemKeySource({ kid, privateKey }, publicJwkOf(point, kid), file);
  }

  async signingKey(): Promise<SigningKey> {
    return this.key;
  }

  async publishedKeys(): Promise<PublishedJwk[]> {
    return [this.publicJwk];
  }

  async rotate(): Promise<KeyRotation> {
    throw new IssuerError(`this issuer signs with keyFile ${this.file}: rotate by replacing that file and restarting`, false);
  }
}
