import type { RequestContext } from '../../core/index.js';
import type { Handover } from './handover-schemas.js';
import type { XdomeaVersion } from './xml/validate.js';

/**
 * The in-service hand-over (Abgabe 0401/0402) from one tenant to another; src/workflows/
 * implements it (it spans records, storage and two tenants), the routes only know these shapes.
 */
export interface HandoverWorkflows {
  /** The sender's records manager hands a file over: the 0401 container is staged, the recipient decides. */
  start(ctx: RequestContext, fileId: string, input: { recipient: string; version?: XdomeaVersion; note?: string }): Promise<Handover>;
  list(ctx: RequestContext, q: { direction: 'incoming' | 'outgoing'; state?: Handover['state']; limit: number; cursor?: string }): Promise<{ items: Handover[]; next: string | null }>;
  get(ctx: RequestContext, id: string): Promise<Handover>;
  /** The recipient imports it under one of its plan units and answers 0402; the sender's file is closed with a note. */
  accept(ctx: RequestContext, id: string, input: { planCode: string }): Promise<Handover>;
  /** The recipient refuses it: a 0402 reporting no success, with the reason; the sender's file stays open. */
  refuse(ctx: RequestContext, id: string, input: { reason: string }): Promise<Handover>;
  /** The 0402 the recipient answered with (XML, valid against its version's schema). */
  importConfirmation(ctx: RequestContext, id: string): Promise<{ xml: string; filename: string }>;
}
