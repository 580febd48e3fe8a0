import type { AdapterState } from '../core/ports/adapter-state.js';
import type { AuditLog } from '../core/ports/audit-log.js';
import type { Logger } from '../core/ports/logger.js';
import type { Notifier } from '../core/ports/notifier.js';
import type { JitCore } from '../core/services/create-core.js';
import type { HttpServer } from '../http/http-server.js';
import { DeploymentGates } from './deployment-gates.js';
import { GitHubAppClient } from './github-app.js';
import { OidcVerifier } from './oidc-verifier.js';
import { PipelineApi } from './pipeline-api.js';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { PipelineNotifier } from './pipeline-notifier.js';
import { RejectionAudit } from './rejection-audit.js';

/** Pipelines as requesters, wired: the notifier every process registers, and the routes web processes mount. */
export interface Pipelines {
  /** Registered in every process that runs notify jobs (it reports deployment decisions to GitHub). */
  notifier: Notifier;
  /** `POST /v1/requests`, `GET /v1/requests/<id>`, `POST /v1/requests/<id>/release`, `POST /github/webhooks`, as configured. */
  mount(http: HttpServer): void;
  /** Ends long polls so the HTTP server can close. */
  stop(): void;
}

/** `state` and `audit` are the composition root's: gates, bindings and refusals are not core's business. */
export interface PipelinesOptions {
  core: JitCore;
  state: AdapterState;
  audit: AuditLog;
  config: PipelineConfig;
  log: Logger;
  now?: () => number;
}

export function createPipelines(options: PipelinesOptions): Pipelines {
  const { core, config, log, state } = options;
  const audit = new RejectionAudit(options.audit, log);
  const api = config.oidc ? new PipelineApi({ core, state, verifier: new OidcVerifier(config.oidc, options.now), audit, log }) : undefined;
  const gates = config.githubApp
    ? new DeploymentGates({
        core,
        app: new GitHubAppClient(config.githubApp),
        webhookSecret: config.githubApp.webhookSecret,
        apiUrl: config.githubApp.apiUrl,
        state,
        trail: options.audit,
        audit,
        log,
      })
    : undefined;
  return {
    notifier: new PipelineNotifier(core, gates),
    mount(http) {
      api?.mount(http);
      gates?.mount(http);
    },
    stop() {
      api?.stop();
    },
  };
}
