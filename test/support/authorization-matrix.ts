/**
 * Who may call what, written by hand from the permission matrix in the README (not derived from
 * src/): one entry per operation of openapi/openapi.json. test/api/authorization-matrix.test.ts
 * calls every operation with every role and holds the answers against it; test/contract/roles.test.ts
 * holds the roles the document declares (x-required-roles) against it.
 */
export const ROLES = ['tenant-admin', 'records-manager', 'clerk', 'reader', 'auditor'] as const;
export type Role = (typeof ROLES)[number];
export const READ = ['records-manager', 'clerk', 'reader', 'auditor'] as const;
export const ALL = ROLES;
/** Roles of competence-centre tokens (the kompetenzzentrum tenant). */
export const CC_ROLES = ['support-agent', 'cc-admin'] as const;
/** Roles of machine clients of the online services: the portal's intake and the payment provider (ePayBL). */
export const MACHINE_ROLES = ['intake', 'payment-provider'] as const;
export type MachineRole = (typeof MACHINE_ROLES)[number];

export interface Expectation {
  /** Town roles allowed; others of the town get 403. */
  roles?: readonly Role[];
  /**
   * Support-grant routes competence-centre staff reach without a grant: 'allowed' for any of them,
   * 'own' only for the grants they asked for or hold (the matrix's cc caller holds one, another does not).
   */
  cc?: 'allowed' | 'own';
  /** Routes outside /v1/tenants/{tenant}: the tenant directory and public endpoints. */
  kind?: 'directory' | 'public';
  /** Machine-client roles allowed besides the town roles (checked in the matrix test's "machine roles"). */
  machine?: readonly MachineRole[];
}

export const MATRIX: Record<string, Expectation> = {
  getHealth: { kind: 'public' }, getReadiness: { kind: 'public' }, getJwks: { kind: 'public' },
  issueToken: { kind: 'public' },
  // The error catalogue where problem types point: public, like the contract (test/api/problems.test.ts).
  listProblemTypes: { kind: 'public' }, getProblemType: { kind: 'public' },
  listTenants: { kind: 'directory' }, getTenant: { kind: 'directory' },
  getFilePlan: { roles: ALL }, listFilePlanUnits: { roles: ALL }, getFilePlanUnit: { roles: ALL },
  createFilePlanUnit: { roles: ['tenant-admin', 'records-manager'] }, importFilePlan: { roles: ['tenant-admin', 'records-manager'] },
  updateFilePlanUnit: { roles: ['tenant-admin', 'records-manager'] }, retireFilePlanUnit: { roles: ['tenant-admin', 'records-manager'] },
  listFiles: { roles: READ }, getFile: { roles: READ }, listCases: { roles: READ }, getCase: { roles: READ },
  listDocuments: { roles: READ }, getDocument: { roles: READ }, listVersions: { roles: READ }, getVersion: { roles: READ },
  getVersionContent: { roles: ['records-manager', 'clerk', 'reader'] },
  createFile: { roles: ['records-manager', 'clerk'] }, updateFile: { roles: ['records-manager', 'clerk'] },
  closeFile: { roles: ['records-manager', 'clerk'] }, reopenFile: { roles: ['records-manager'] },
  createCase: { roles: ['records-manager', 'clerk'] }, updateCase: { roles: ['records-manager', 'clerk'] },
  closeCase: { roles: ['records-manager', 'clerk'] }, reopenCase: { roles: ['records-manager'] },
  createDocument: { roles: ['records-manager', 'clerk'] }, updateDocument: { roles: ['records-manager', 'clerk'] },
  checkOutDocument: { roles: ['records-manager', 'clerk'] }, releaseDocument: { roles: ['records-manager', 'clerk'] },
  addVersion: { roles: ['records-manager', 'clerk'] },
  // tus: allowed callers get 412 (no Tus-Resumable, stale If-Match), so nothing is created or sent.
  createUpload: { roles: ['records-manager', 'clerk'] }, 'getUploadOffset-head': { roles: ['records-manager', 'clerk'] },
  sendUploadPart: { roles: ['records-manager', 'clerk'] }, deleteUpload: { roles: ['records-manager', 'clerk'] },
  overrideRetention: { roles: ['records-manager'] }, placeHold: { roles: ['records-manager'] },
  liftHold: { roles: ['records-manager', 'tenant-admin'] },
  offerFileForDisposal: { roles: ['records-manager'] }, recordArchiveDecision: { roles: ['records-manager'] },
  confirmFileArchived: { roles: ['records-manager'] }, destroyFile: { roles: ['records-manager'] },
  getTenantSettings: { roles: ['tenant-admin'] }, updateTenantSettings: { roles: ['tenant-admin'] }, previewReference: { roles: ['tenant-admin'] },
  getDestructionRecord: { roles: READ }, getDestructionRecordPdf: { roles: READ },
  search: { roles: READ },
  listAuditEvents: { roles: ['tenant-admin', 'auditor'] }, getObjectHistory: { roles: ['tenant-admin', 'auditor'] },
  exportAuditEvents: { roles: ['tenant-admin', 'auditor'] }, verifyAuditChain: { roles: ['tenant-admin', 'auditor'] },
  anchorAuditChain: { roles: ['tenant-admin', 'auditor'] }, listAuditAnchors: { roles: ['tenant-admin', 'auditor'] },
  createClient: { roles: ['tenant-admin'] }, listClients: { roles: ['tenant-admin'] }, getClient: { roles: ['tenant-admin'] },
  rotateClientSecret: { roles: ['tenant-admin'] }, disableClient: { roles: ['tenant-admin'] },
  requestSupportGrant: { roles: [], cc: 'allowed' }, listSupportGrants: { roles: ['tenant-admin', 'auditor'], cc: 'allowed' },
  getSupportGrant: { roles: ['tenant-admin', 'auditor'], cc: 'own' },
  approveSupportGrant: { roles: ['tenant-admin'] }, rejectSupportGrant: { roles: ['tenant-admin'] }, revokeSupportGrant: { roles: ['tenant-admin'] },
  listSupportGrantActions: { roles: ['tenant-admin', 'auditor'] },
  createWebhook: { roles: ['tenant-admin'] }, listWebhooks: { roles: ['tenant-admin'] }, getWebhook: { roles: ['tenant-admin'] },
  updateWebhook: { roles: ['tenant-admin'] }, disableWebhook: { roles: ['tenant-admin'] }, enableWebhook: { roles: ['tenant-admin'] },
  deleteWebhook: { roles: ['tenant-admin'] }, rotateWebhookSecret: { roles: ['tenant-admin'] }, testWebhook: { roles: ['tenant-admin'] },
  listWebhookDeliveries: { roles: ['tenant-admin'] }, getWebhookDelivery: { roles: ['tenant-admin'] },
  redeliverWebhookDelivery: { roles: ['tenant-admin'] },
  exportFilePlanXdomea: { roles: ALL }, importFilePlanXdomea: { roles: ['tenant-admin', 'records-manager'] },
  exportAbgabeXdomea: { roles: ['records-manager', 'clerk', 'reader'] }, importAbgabeXdomea: { roles: ['records-manager'] },
  // In-service hand-over (Abgabe to another tenant): records managers of sender and recipient only.
  startXdomeaHandover: { roles: ['records-manager'] }, listXdomeaHandovers: { roles: ['records-manager'] }, getXdomeaHandover: { roles: ['records-manager'] },
  acceptXdomeaHandover: { roles: ['records-manager'] }, refuseXdomeaHandover: { roles: ['records-manager'] }, getXdomeaHandoverConfirmation: { roles: ['records-manager'] },
  // Aussonderung with the archive: disposal:manage (records managers); exports of a 0401 as a job: content:read (the 0503 needs disposal:manage too).
  offerFilesXdomea: { roles: ['records-manager'] }, importEvaluationXdomea: { roles: ['records-manager'] },
  importArchiveMessageXdomea: { roles: ['records-manager'] }, importAussonderungXdomea: { roles: ['records-manager'] },
  requestExportXdomea: { roles: ['records-manager', 'clerk', 'reader'] }, getExportXdomea: { roles: ['records-manager', 'clerk', 'reader'] },
  getExportContentXdomea: { roles: ['records-manager', 'clerk', 'reader'] },
  listOnlineServices: { roles: ALL, machine: ['intake'] }, getOnlineService: { roles: ALL, machine: ['intake'] },
  createOnlineService: { roles: ['tenant-admin'] }, updateOnlineService: { roles: ['tenant-admin'] },
  // Machine clients only (intake, payment-provider): no town role may.
  submitApplication: { roles: [], machine: ['intake'] }, reportPayment: { roles: [], machine: ['payment-provider'] },
  listSubmissions: { roles: READ }, getSubmission: { roles: READ }, transitionSubmission: { roles: ['records-manager', 'clerk'] },
  getApplicationStatus: { kind: 'public' }, listMyApplications: { kind: 'public' },
};
