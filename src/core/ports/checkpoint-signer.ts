/**
 * The Ed25519 key that signs audit checkpoints. It lives outside the store (a file or a variable),
 * so core only sees this port; `app/audit-signing-key.ts` implements it with node:crypto.
 */
export interface CheckpointSigner {
  /** Fingerprint of the public key, written into each checkpoint. */
  readonly keyId: string;
  /** The public key, PEM (SPKI). */
  readonly publicKey: string;
  /** Base64 signature of the UTF-8 bytes of `statement`. */
  sign(statement: string): string;
}

/** A public key that checks checkpoint signatures: the signer's own, or one an auditor hands `audit verify --pubkey`. */
export interface CheckpointVerifier {
  readonly keyId: string;
  verify(statement: string, signature: string): boolean;
}
