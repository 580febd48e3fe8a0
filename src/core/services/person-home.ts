import type { AccessRequest } from '../domain/access-request.js';
import type { CoreDeps } from './core-context.js';

/** How many of a person's own requests a home shows (newest first). */
const OWN_REQUESTS = 30;

/** What one person's home page shows: their requests, what holds access now, what waits on their decision. */
export interface PersonHome {
  person: string;
  /** Their own requests, newest first. */
  requests: AccessRequest[];
  /** Of those, the ones that hold access (active, revoking, revoke_failed). */
  grants: AccessRequest[];
  /** Of those, the ones not decided or not issued yet (pending, approved, issuing). */
  pending: AccessRequest[];
  /** Others' requests (or extensions) waiting on this person, oldest first. */
  waitingOn: AccessRequest[];
}

export async function personHome(deps: CoreDeps, person: string): Promise<PersonHome> {
  const [requests, waitingOn] = await Promise.all([deps.requests.listByRequester(person, OWN_REQUESTS), deps.requests.listWaitingOn(person)]);
  return {
    person,
    requests,
    grants: requests.filter((r) => r.status === 'active' || r.status === 'revoking' || r.status === 'revoke_failed'),
    pending: requests.filter((r) => r.status === 'pending' || r.status === 'approved' || r.status === 'issuing'),
    waitingOn,
  };
}
