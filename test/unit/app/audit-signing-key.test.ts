import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointVerifierFrom, generatedKeyPath, loadAuditSigningKey } from '../../../src/app/audit-signing-key.js';
import { loadEnvironment } from '../../../src/config/environment.js';
import type { Logger } from '../../../src/core/ports/logger.js';

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (_fields, message) => void warnings.push(message) };
}

const ed25519Pem = (): string => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('audit signing key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'jitbot-signing-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a key under the data directory with mode 0600, warns once, and reuses it', () => {
    const log = recordingLog();
    const first = loadAuditSigningKey({ dataDir: dir, log });
    const file = generatedKeyPath(dir);
    expect(first.source).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toMatch(/generated under the data directory: copy it somewhere else/);
    const again = loadAuditSigningKey({ dataDir: dir, log });
    expect(again.signer.keyId).toBe(first.signer.keyId);
    expect(log.warnings).toHaveLength(1);
    const signature = first.signer.sign('statement');
    expect(again.verifier.verify('statement', signature)).toBe(true);
    expect(again.verifier.verify('another statement', signature)).toBe(false);
  });

  it('reads the key from the policy file setting, and the variable over it, without generating one', () => {
    const log = recordingLog();
    const filePem = ed25519Pem();
    const file = path.join(dir, 'elsewhere.pem');
    writeFileSync(file, filePem);
    const fromFile = loadAuditSigningKey({ file, dataDir: dir, log });
    expect(fromFile.source).toBe(file);
    const fromEnv = loadAuditSigningKey({ pem: ed25519Pem(), file, dataDir: dir, log });
    expect(fromEnv.source).toBe('JITBOT_AUDIT_SIGNING_KEY');
    expect(fromEnv.signer.keyId).not.toBe(fromFile.signer.keyId);
    expect(() => statSync(generatedKeyPath(dir))).toThrow();
    expect(log.warnings).toEqual([]);
    // The public key alone, as `audit pubkey` prints it, verifies; the other key does not.
    const verifier = checkpointVerifierFrom(fromFile.signer.publicKey);
    expect(verifier.keyId).toBe(fromFile.signer.keyId);
    expect(verifier.verify('x', fromFile.signer.sign('x'))).toBe(true);
    expect(verifier.verify('x', fromEnv.signer.sign('x'))).toBe(false);
    expect(verifier.verify('x', 'not base64 at all!')).toBe(false);
  });

  it('takes JITBOT_AUDIT_SIGNING_KEY or JITBOT_AUDIT_SIGNING_KEY_FILE from the environment', () => {
    const pem = ed25519Pem();
    const file = path.join(dir, 'key.pem');
    writeFileSync(file, pem);
    expect(loadEnvironment({ JITBOT_AUDIT_SIGNING_KEY: pem }).auditSigningKeyPem).toBe(pem);
    expect(loadEnvironment({ JITBOT_AUDIT_SIGNING_KEY_FILE: file }).auditSigningKeyPem?.trim()).toBe(pem.trim());
    expect(loadEnvironment({}).auditSigningKeyPem).toBeUndefined();
  });

  it('refuses keys that are not Ed25519 private keys, naming where they came from', () => {
    const log = recordingLog();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadAuditSigningKey({ pem: rsa, dataDir: dir, log })).toThrow('the audit signing key (JITBOT_AUDIT_SIGNING_KEY) is rsa, not Ed25519');
    expect(() => loadAuditSigningKey({ pem: 'garbage', dataDir: dir, log })).toThrow('is not a PEM private key');
    expect(() => loadAuditSigningKey({ file: path.join(dir, 'missing.pem'), dataDir: dir, log })).toThrow(/cannot read the key file .*missing\.pem: ENOENT/);
    expect(() => checkpointVerifierFrom('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toThrow('is not a PEM public or private key');
  });
});
