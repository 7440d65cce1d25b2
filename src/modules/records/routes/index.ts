import type { FastifyPluginAsync } from 'fastify';
import type { InScope } from '../../../core/index.js';
import type { RecordsOps } from '../index.js';
import type { RecordWorkflows } from '../workflows.js';
import caseRoutes from './cases.js';
import documentRoutes from './documents.js';
import fileRoutes from './files.js';
import settingsRoutes from './settings.js';
import versionRoutes from './versions.js';

export interface RecordRouteOptions {
  records: InScope<RecordsOps>;
  workflows: RecordWorkflows;
  /** Largest content of one version in bytes. */
  maxBytes: number;
}

/** Files, cases, documents and versions under /v1/tenants/{tenant}. */
const recordRoutes: FastifyPluginAsync<RecordRouteOptions> = async (app, opts) => {
  await app.register(fileRoutes, opts);
  await app.register(settingsRoutes, opts);
  await app.register(caseRoutes, opts);
  await app.register(documentRoutes, opts);
  // Last, in its own context: it takes every body as a stream.
  await app.register(versionRoutes, opts);
};

export default recordRoutes;
