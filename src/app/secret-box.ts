import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SecretBox } from '../core/ports/secret-box.js';

/**
 * AES-256-GCM sealing for secrets that must wait in a job (a DM being retried). The key comes from
 * JITBOT_SECRET_KEY (64 hex chars; share it between processes on different hosts) or is generated
 * once under the data directory.
 */
export function createSecretBox(options: { keyHex?: string; dataDir: string }): SecretBox {
  const key = options.keyHex ? Buffer.from(options.keyHex, 'hex') : loadOrCreateKey(options.dataDir);
  if (key.length !== 32) throw new Error('JITBOT_SECRET_KEY must be 64 hexadecimal characters (32 bytes)');
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

// The other process may have created the file but not written it yet: wait briefly for the content.
function readWhenWritten(file: string): Buffer {
  const deadline = Date.now() + 2000;
  for (;;) {
    const text = readFileSync(file, 'utf8').trim();
    if (text.length === 64 || Date.now() > deadline) return Buffer.from(text, 'hex');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

function loadOrCreateKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'secret-box.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(file, key.toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process (web and worker starting together) wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readWhenWritten(file);
  }
  chmodSync(file, 0o600);
  return key;
}
