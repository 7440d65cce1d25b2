import { createHmac } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { SigningKeys } from './auth/keys.js';
import type { Config } from './config.js';
import { createReadOnlyScope, createReadScope, createScope, createSqlScope, inScope } from './core/index.js';
import type { Db } from './db/client.js';
import { createReadRouter } from './db/replica.js';
import { jobSenderFor } from './jobs/boss.js';
import { createSealer } from './lib/sealed.js';
import { createAnchors, createAuditLog, createAuditService } from './modules/audit/index.js';
import { createClientService } from './modules/clients/index.js';
import { filePlanOps } from './modules/file-plan/index.js';
import { grantOps } from './modules/grants/index.js';
import { createStatusService, intakeOps, onlineOps } from './modules/online/index.js';
import { createRecords, createUploadSweeper } from './modules/records/index.js';
import { createSearch } from './modules/search/index.js';
import { createTenantDirectory, createTenantRepo, createTenantService, referencePattern, tenantSettingsStore, wormMode } from './modules/tenants/index.js';
import { createSender, createWebhooks, parseAllowList } from './modules/webhooks/index.js';
import { createPlanExchange } from './modules/xdomea/index.js';
import { extractInChild, type Extractor } from './extract/index.js';
import type { BlobStore } from './storage/index.js';
import { noTelemetry, type Telemetry } from './telemetry/index.js';
import { createRecordWorkflows, intakeWorkflow, paymentWorkflow, xdomeaAbgabeWorkflows, xdomeaAussonderungWorkflows, xdomeaHandoverWorkflows } from './workflows/index.js';

export interface ServiceDeps {
  config: Config;
  db: Db;
  /** The API login on a streaming replica (DATABASE_REPLICA_URL): heavy reads go there. */
  replicaDb?: Db;
  storage: BlobStore;
  /** pg-boss, started or not: jobs are written with its SQL inside units of work. */
  jobs: PgBoss;
  /** The data key that seals stored secrets. */
  dataKey: Buffer;
  /** The service's signing key: tokens, audit checkpoints. */
  keys: SigningKeys;
  version: string;
  /** Text extraction of versions (default: a child process per document). */
  extract?: Extractor;
  /** Traces: the job worker's spans (the pool and the store come instrumented). */
  telemetry?: Telemetry;
}

/**
 * The composition root: every service, wired once, for the API, the worker and the scripts. Each
 * module gets what it uses, and nothing reaches another module but through its index.
 */
export function createServices(deps: ServiceDeps) {
  const { config, db, storage } = deps;
  const units = { audit: createAuditLog, jobs: jobSenderFor(deps.jobs) };
  const readRouter = deps.replicaDb ? createReadRouter(db, deps.replicaDb) : undefined;
  const scope = createScope(db, units, readRouter);
  /** Heavy reads: the replica when there is one and it has seen the caller's own writes. */
  const readScope = createReadScope(scope, readRouter, units);
  /** The hot reads: read units on node-postgres, the page of files on the replica when there is one. */
  const reads = createReadOnlyScope(db, readRouter);
  /** Writes that send only their own SQL (adding a version) as SQL units on node-postgres. */
  const sqlScope = createSqlScope(db, units, readRouter);
  const tenants = createTenantDirectory(db);
  const records = createRecords({ unitForFiling: filePlanOps.unitForFiling, referencePattern, tenantSettings: tenantSettingsStore });
  const grants = grantOps({ fileExists: records.fileExists, fileOfObject: records.fileOfObject });
  const w = config.webhooks;
  const policy = { allowHttp: w.allowHttp, allowedPrivate: parseAllowList(w.allowedPrivateTargets) };
  const webhooks = createWebhooks({
    scope,
    sealer: createSealer(deps.dataKey),
    sender: createSender({
      policy,
      timeoutMs: w.timeoutSeconds * 1000,
      userAgent: `EN-Akte-Webhooks/${deps.version}`,
    }),
    settings: {
      policy,
      timeoutSeconds: w.timeoutSeconds,
      maxAttempts: w.maxAttempts,
      retryDelaySeconds: w.retryDelaySeconds,
      disableAfterFailures: w.disableAfterFailures,
      maxPerTenant: w.maxPerTenant,
      secretGraceHours: w.secretGraceHours,
    },
  });
  const anchors = createAnchors({ scope, storage, signer: deps.keys, settings: config.auditAnchors });
  const xdomeaSettings = config.xdomea;
  const search = createSearch({ scope, storage, extract: deps.extract ?? extractInChild, settings: config.search });
  const online = onlineOps({
    unitForFiling: filePlanOps.unitForFiling,
    async decisionDocument(uow, caseId, documentId) {
      const doc = await records.getDocument(uow, documentId).catch(() => null);
      return doc && doc.value.caseId === caseId && doc.value.versionCount > 0 ? { id: doc.value.id } : null;
    },
  });
  const workflows = createRecordWorkflows({
    scope, sql: sqlScope, records, storage, maxBytes: config.uploads.maxBytes, wormMode,
    downloads: config.downloads,
    resumable: config.storage.kind === 's3' ? { s3: config.storage, expirySeconds: config.uploads.resumableExpirySeconds } : undefined,
  });
  return {
    scope,
    readScope,
    readRouter,
    storage,
    telemetry: deps.telemetry ?? noTelemetry,
    online,
    onlineApi: inScope(scope, online),
    intake: intakeWorkflow({
      scope,
      records,
      intake: intakeOps,
      storage,
      unitForFiling: filePlanOps.unitForFiling,
      resolveTenant: tenants.resolve,
      // Its own key, derived from the data key: status tokens are HMACs of the submission id.
      tokenKey: createHmac('sha256', deps.dataKey).update('en-akte:status-tokens').digest(),
      statusTokenTtlDays: config.online.statusTokenTtlDays,
      publicUrl: config.publicUrl,
      maxBytes: config.uploads.maxBytes,
    }),
    reportPayment: paymentWorkflow({ scope, resolveTenant: tenants.resolve, receiptOf: intakeOps.receipt, apply: online.applyPayment }),
    status: createStatusService({ db, scope, tenants: tenants.all, citizenIdp: config.online.citizenIdp }),
    tenants,
    anchors,
    tenantService: createTenantService({ repo: createTenantRepo(db) }),
    records,
    recordsApi: {
      ...inScope(scope, records),
      ...inScope(reads.primary, { getFile: records.getFile, getCase: records.getCase, getDocument: records.getDocument }),
      ...inScope(reads.heavy, { listFiles: records.listFiles }),
    },
    workflows,
    filePlanApi: inScope(scope, filePlanOps),
    xdomeaPlanApi: inScope(scope, createPlanExchange({ filePlan: filePlanOps, settings: xdomeaSettings })),
    xdomeaAbgabe: xdomeaAbgabeWorkflows({ scope, records, filePlan: filePlanOps, storage, settings: xdomeaSettings, maxVersionBytes: config.uploads.maxBytes }),
    xdomeaHandover: xdomeaHandoverWorkflows({
      scope, records, filePlan: filePlanOps, storage, settings: xdomeaSettings, maxVersionBytes: config.uploads.maxBytes, wormMode,
      resolveTenant: tenants.resolve, tenantRefs: tenants.all,
    }),
    xdomeaAussonderung: xdomeaAussonderungWorkflows({ scope, records, filePlan: filePlanOps, storage, settings: xdomeaSettings, maxVersionBytes: config.uploads.maxBytes, exportRetentionHours: config.xdomea.exportRetentionHours }),
    grants,
    grantsApi: inScope(scope, grants),
    audit: createAuditService({ scope: readScope, anchors }),
    webhooks,
    search,
    searchApi: inScope(readScope, { search: search.search }),
    sweeper: createUploadSweeper({ scope, storage, staleAfterMs: config.uploads.staleAfterSeconds * 1000, resumable: workflows.resumable }),
    clients: (sign: Parameters<typeof createClientService>[0]['sign']) =>
      createClientService({ scope, db, sign, tokenTtl: config.auth.tokenTtl }),
  };
}

export type Services = ReturnType<typeof createServices>;
