import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CheckpointSigner, CheckpointVerifier } from '../core/ports/checkpoint-signer.js';
import type { Logger } from '../core/ports/logger.js';

/** Where the audit checkpoints' Ed25519 key came from, and its two halves as ports. */
export interface AuditSigningKey {
  signer: CheckpointSigner;
  verifier: CheckpointVerifier;
  /** `JITBOT_AUDIT_SIGNING_KEY`, the file named, or the one generated under the data directory. */
  source: string;
}

export interface SigningKeySources {
  /** `JITBOT_AUDIT_SIGNING_KEY` (or its `_FILE`): the private key, PEM (PKCS#8). */
  pem?: string | undefined;
  /** `settings.audit.signingKeyFile` in the policy. */
  file?: string | undefined;
  dataDir: string;
  log: Logger;
}

/** The generated key's place under the data directory. */
export function generatedKeyPath(dataDir: string): string {
  return path.join(dataDir, 'audit', 'signing-key.pem');
}

let warnedAboutGeneratedKey = false;

/**
 * The checkpoint signing key: the variable, else the policy's file, else one generated once under the
 * data directory (mode 0600), with a warning, once per process, that a key kept beside the data it
 * protects protects little.
 */
export function loadAuditSigningKey(sources: SigningKeySources): AuditSigningKey {
  if (sources.pem) return fromPrivate(parsePrivate(sources.pem, 'JITBOT_AUDIT_SIGNING_KEY'), 'JITBOT_AUDIT_SIGNING_KEY');
  if (sources.file) return fromPrivate(parsePrivate(readKeyFile(sources.file), sources.file), sources.file);
  const file = generatedKeyPath(sources.dataDir);
  const key = fromPrivate(parsePrivate(loadOrGenerate(file), file), file);
  if (!warnedAboutGeneratedKey) {
    warnedAboutGeneratedKey = true;
    sources.log.warn(
      { file, keyId: key.signer.keyId },
      'audit checkpoints are signed with a key generated under the data directory: copy it somewhere else and set settings.audit.signingKeyFile or JITBOT_AUDIT_SIGNING_KEY, and keep it out of Redis backups',
    );
  }
  return key;
}

/**
 * A verifier from what an auditor has: a public key (PEM), a private key (its public half), or a
 * file holding either. Throws a sentence naming what is wrong.
 */
export function checkpointVerifierFrom(fileOrPem: string): CheckpointVerifier {
  const text = fileOrPem.includes('-----BEGIN') ? fileOrPem : readKeyFile(fileOrPem);
  let key: KeyObject;
  try {
    key = text.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(text)) : createPublicKey(text);
  } catch {
    throw new Error(`${fileOrPem.includes('-----BEGIN') ? 'the key given' : fileOrPem} is not a PEM public or private key`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the key given is ${key.asymmetricKeyType ?? 'not asymmetric'}, not Ed25519`);
  return verifierOf(key);
}

function fromPrivate(privateKey: KeyObject, source: string): AuditSigningKey {
  const publicKey = createPublicKey(privateKey);
  const verifier = verifierOf(publicKey);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    source,
    verifier,
    signer: {
      keyId: verifier.keyId,
      publicKey: publicPem,
      sign: (statement) => sign(null, Buffer.from(statement, 'utf8'), privateKey).toString('base64'),
    },
  };
}

function verifierOf(publicKey: KeyObject): CheckpointVerifier {
  return {
    keyId: keyIdOf(publicKey),
    verify(statement, signature) {
      try {
        return verify(null, Buffer.from(statement, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
      } catch {
        return false;
      }
    },
  };
}

/** The first 16 hex characters of SHA-256 over the public key's DER: short enough to print, enough to tell keys apart. */
function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function parsePrivate(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error(`the audit signing key (${source}) is not a PEM private key`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the audit signing key (${source}) is ${key.asymmetricKeyType ?? 'not asymmetric'}, not Ed25519`);
  return key;
}

function readKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the key file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
}

function loadOrGenerate(file: string): string {
  if (existsSync(file)) return readWhenWritten(file);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process (web and worker starting together) wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readWhenWritten(file);
  }
  chmodSync(file, 0o600);
  return pem;
}

// The other process may have created the file but not finished writing it: wait briefly for the end line.
function readWhenWritten(file: string): string {
  const deadline = Date.now() + 2000;
  for (;;) {
    const text = readFileSync(file, 'utf8');
    if (text.includes('-----END') || Date.now() > deadline) return text;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}
