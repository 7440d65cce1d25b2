import { uuidv7 } from 'uuidv7';
import { authorize, type UnitOfWork } from '../../core/index.js';
import { errors } from '../../errors.js';
import { PlanCode, type FilePlanOps } from '../file-plan/index.js';
import { messageBytes, receiveMessage } from './message-in.js';
import { planMessage, readPlanMessage, type PlanUnitData } from './messages/plan.js';
import { parseUntrusted } from './xml/safe.js';
import { schemaErrors, type XdomeaVersion } from './xml/validate.js';
import { serialize, type XmlElementNode } from './xml/writer.js';
import type { ZipLimits } from './zip/safe-zip.js';

type PlanDeps = Pick<FilePlanOps, 'getTree' | 'importPlan' | 'unitForFiling' | 'getUnit' | 'retireUnit'>;

export interface XdomeaSettings {
  /** Largest message (XML) read into memory. */
  maxMessageBytes: number;
  zip: ZipLimits;
}

/**
 * Serialises a message and validates it against the official XSD of its version before it leaves:
 * a message EN-Akte cannot produce validly is a defect (500), never sent.
 */
export function produce(root: XmlElementNode, version: XdomeaVersion): string {
  const xml = serialize(root);
  const doc = parseUntrusted(Buffer.from(xml), Number.MAX_SAFE_INTEGER);
  try {
    const list = schemaErrors(doc, version);
    if (list.length) throw new Error(`Produced ${root.name} is not valid against XDOMEA ${version}: ${JSON.stringify(list.slice(0, 5))}`);
  } finally {
    doc.dispose();
  }
  return xml;
}

const PLAN_CODE = new RegExp((PlanCode as unknown as { pattern: string }).pattern);

/** The sender's name in messages: the tenant, as the directory knows it. */
export const institutionOf = (uow: UnitOfWork) => `EN-Akte ${uow.ctx.tenant.slug}`;

export function createPlanExchange(deps: { filePlan: PlanDeps; settings: XdomeaSettings }) {
  const { filePlan, settings } = deps;
  return {
    /** The tenant's whole plan (retired units included, marked Stillgelegt) as Aktenplan.Aktenplan.0301. */
    async exportPlan(uow: UnitOfWork, q: { version: XdomeaVersion; recipient?: string }): Promise<{ xml: string; processId: string }> {
      authorize(uow.ctx, 'plan:read');
      const tree = await filePlan.getTree(uow, true);
      const units: PlanUnitData[] = [];
      const walk = (nodes: typeof tree) => {
        for (const n of nodes) {
          units.push({ code: n.code, title: n.title, disposal: n.disposal, retentionYears: n.retentionYears, validFrom: n.validFrom, validUntil: n.validUntil, retired: n.retired });
          walk(n.children);
        }
      };
      walk(tree);
      const processId = uuidv7();
      const xml = produce(planMessage({
        head: { version: q.version, processId, messageId: uuidv7(), createdAt: new Date(), sender: { institution: institutionOf(uow) }, recipient: { institution: q.recipient ?? 'Empfänger des Aktenplans' } },
        name: `Aktenplan ${institutionOf(uow)}`,
        planVersion: new Date().toISOString().slice(0, 10),
        units,
      }), q.version);
      return { xml, processId };
    },

    /**
     * Imports a 0301 (plain XML, or a ZIP holding it) into the tenant's plan, all or nothing:
     * validated against its schema first, then every unit mapped, then created in one transaction
     * (and the ones marked Stillgelegt retired in it). Any refusal leaves the plan as it was.
     */
    async importPlan(uow: UnitOfWork, body: Buffer | undefined): Promise<{ created: number; retired: number; version: XdomeaVersion; processId: string | null; sender: string | null }> {
      authorize(uow.ctx, 'plan:write');
      if (!body || body.length === 0) throw errors.badRequest('Send the 0301 message (application/xml) or a ZIP holding it (application/zip) as the body');
      const { xml, zip } = await messageBytes(body, ['0301'], settings.maxMessageBytes, settings.zip);
      zip?.close();
      const msg = receiveMessage(xml, settings.maxMessageBytes, ['0301']);
      let units: PlanUnitData[];
      try {
        units = readPlanMessage(msg.doc.root).units;
      } finally {
        msg.doc.dispose();
      }
      if (units.length === 0) throw errors.unprocessable('The file plan in the message has no units');
      for (const u of units) {
        if (!PLAN_CODE.test(u.code)) throw errors.unprocessable(`Unit ${JSON.stringify(u.code.slice(0, 64))}: EN-Akte codes are 1-8 letters or digits per segment, up to 8 segments joined by "."`);
        if (u.title.length > 300) throw errors.unprocessable(`Unit ${u.code}: the title (Inhaltsangabe) is longer than 300 characters`);
        if (u.retentionYears !== null && u.retentionYears > 200) throw errors.unprocessable(`Unit ${u.code}: a retention of ${u.retentionYears} years is more than 200`);
        if (u.validFrom && !/^\d{4}-\d{2}-\d{2}$/.test(u.validFrom)) throw errors.unprocessable(`Unit ${u.code}: Gueltigkeit/Beginn must be a date without time zone`);
        if (u.validUntil && !/^\d{4}-\d{2}-\d{2}$/.test(u.validUntil)) throw errors.unprocessable(`Unit ${u.code}: Gueltigkeit/Ende must be a date without time zone`);
      }
      const { created } = await filePlan.importPlan(uow, units.map((u) => ({
        code: u.code, title: u.title, retentionYears: u.retentionYears, disposal: u.disposal, validFrom: u.validFrom, validUntil: u.validUntil,
      })));
      const toRetire = units.filter((u) => u.retired);
      for (const u of toRetire) {
        const { id } = await filePlan.unitForFiling(uow, { planCode: u.code });
        const unit = await filePlan.getUnit(uow, id);
        await filePlan.retireUnit(uow, id, unit.etag);
      }
      await uow.audit.append({
        action: 'xdomea.plan-imported',
        objectType: 'file-plan',
        new: { messageType: '0301', version: msg.version, processId: msg.head.processId, sender: msg.head.sender, created, retired: toRetire.length },
      });
      return { created, retired: toRetire.length, version: msg.version, processId: msg.head.processId, sender: msg.head.sender };
    },
  };
}

export type PlanExchange = ReturnType<typeof createPlanExchange>;
