/** Hooks for metrics; every method is optional so tests can leave them out. */
export interface Observer {
  commandHandled?(command: string, outcome: 'ok' | 'refused' | 'error'): void;
  approvalRecorded?(): void;
  issued?(ms: number): void;
  revoked?(ms: number, lateMs: number): void;
  revokeAttemptFailed?(): void;
}
