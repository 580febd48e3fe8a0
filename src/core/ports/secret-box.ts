/**
 * Seals a secret for the short trip through a job queue (a DM that must be retried), so it is never
 * stored in clear. The key lives outside Redis.
 */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}
