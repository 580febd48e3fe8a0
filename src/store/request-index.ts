import { HOLDS_ACCESS, type AccessRequest } from '../core/domain/access-request.js';

/** The people a request is waiting on: its approvers minus those who already approved. */
export function waitingOn(request: AccessRequest): string[] {
  if (request.status === 'pending') return request.waitingOn ?? [];
  if (request.status === 'active' && request.pendingExtension) return request.waitingOn ?? [];
  return [];
}

/** The end of the window of a request that holds access, or undefined when it holds none. */
export function holdsAccessUntil(request: AccessRequest): number | undefined {
  return HOLDS_ACCESS.has(request.status) && 'window' in request ? request.window.end : undefined;
}
