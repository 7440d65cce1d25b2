import type { XmlElement } from 'libxml2-wasm';
import { errors } from '../../../errors.js';
import { el, elA, opt, type XmlElementNode } from '../xml/writer.js';
import { children, messageRoot, textOf, type HeaderInput } from './header.js';

/**
 * Aktenplan.Aktenplan.0301: a tenant's file plan. Each unit carries its code (Kennzeichen), title
 * (Inhaltsangabe), disposal (Aussonderungsart A/B/V), retention (Aufbewahrungsdauer: years or
 * unlimited), validity (Gueltigkeit) and whether it is retired (Stillgelegt); children nest.
 */
export interface PlanUnitData {
  code: string;
  title: string;
  disposal: 'A' | 'B' | 'V';
  retentionYears: number | null;
  validFrom: string | null;
  validUntil: string | null;
  retired: boolean;
}

export interface PlanMessage {
  head: Omit<HeaderInput, 'code'>;
  /** Bezeichnung of the plan. */
  name: string;
  /** Version of the plan (free text). */
  planVersion: string;
  units: PlanUnitData[];
}

const x = (name: string, ...c: Parameters<typeof el>[1][]) => el(`xdomea:${name}`, ...c);

const parentOf = (code: string) => (code.includes('.') ? code.slice(0, code.lastIndexOf('.')) : null);

function unitNode(u: PlanUnitData, kids: Map<string | null, PlanUnitData[]>): XmlElementNode {
  const validity = u.validFrom || u.validUntil ? x('Gueltigkeit', opt('xdomea:Beginn', u.validFrom), opt('xdomea:Ende', u.validUntil)) : null;
  return x('Einheit',
    x('Kennzeichen', u.code),
    x('Inhaltsangabe', u.title),
    x('Aussonderungsart', elA('xdomea:Aussonderungsart', { listURI: 'urn:xoev-de:xdomea:codeliste:aussonderungsart', listVersionID: '1.0' }, el('code', u.disposal))),
    validity,
    x('Stillgelegt', u.retired ? '1' : '0'),
    x('Aufbewahrungsdauer', u.retentionYears === null ? x('Unbefristet', '1') : x('AnzahlJahre', String(u.retentionYears))),
    (kids.get(u.code) ?? []).map((k) => unitNode(k, kids)),
  );
}

/** The 0301 message tree; units nest under their parent code (parents must be among `units`). */
export function planMessage(m: PlanMessage): XmlElementNode {
  const kids = new Map<string | null, PlanUnitData[]>();
  const codes = new Set(m.units.map((u) => u.code));
  for (const u of [...m.units].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))) {
    const p = parentOf(u.code);
    const key = p !== null && codes.has(p) ? p : null;
    kids.set(key, [...(kids.get(key) ?? []), u]);
  }
  const plan = x('Aktenplan', x('Bezeichnung', m.name), x('Version', m.planVersion), (kids.get(null) ?? []).map((u) => unitNode(u, kids)));
  return messageRoot({ ...m.head, code: '0301' }, [x('Empfangsbestaetigung', '0')], [plan]);
}

const bool = (s: string | null) => s === '1' || s === 'true';

/**
 * The units of a (validated) 0301, flattened, parents first. A unit whose code does not extend its
 * parent's, or whose disposal is a configurable one EN-Akte cannot map, refuses the message (422).
 */
export function readPlanMessage(root: XmlElement): { name: string; units: PlanUnitData[] } {
  const plans = children(root, 'Aktenplan');
  if (plans.length !== 1) throw errors.unprocessable(`The message holds ${plans.length} file plans; one is imported at a time`);
  const plan = plans[0]!;
  const units: PlanUnitData[] = [];
  const walk = (e: XmlElement, parent: string | null) => {
    const code = textOf(e, 'Kennzeichen');
    const where = `line ${e.line}`;
    if (!code) throw errors.unprocessable(`A unit (${where}) has no Kennzeichen`);
    if (parent !== null && parentOf(code) !== parent) {
      throw errors.unprocessable(`Unit ${code.slice(0, 64)} (${where}) is under ${parent} but its code does not extend it by one segment`);
    }
    if (parent === null && parentOf(code) !== null) {
      throw errors.unprocessable(`Unit ${code.slice(0, 64)} (${where}) is at the top of the plan but its code names a parent`);
    }
    const disposal = textOf(e, 'Aussonderungsart', 'Aussonderungsart', 'code');
    if (disposal !== 'A' && disposal !== 'B' && disposal !== 'V') {
      throw errors.unprocessable(`Unit ${code.slice(0, 64)} (${where}) has a configurable Aussonderungsart; only A, B and V are accepted`);
    }
    const years = textOf(e, 'Aufbewahrungsdauer', 'AnzahlJahre');
    units.push({
      code,
      title: textOf(e, 'Inhaltsangabe') || textOf(e, 'BetreffKurz') || code,
      disposal,
      retentionYears: years !== null ? Number(years) : bool(textOf(e, 'Aufbewahrungsdauer', 'Unbefristet')) ? null : 0,
      validFrom: textOf(e, 'Gueltigkeit', 'Beginn'),
      validUntil: textOf(e, 'Gueltigkeit', 'Ende'),
      retired: bool(textOf(e, 'Stillgelegt')),
    });
    for (const k of children(e, 'Einheit')) walk(k, code);
  };
  for (const u of children(plan, 'Einheit')) walk(u, null);
  return { name: textOf(plan, 'Bezeichnung') ?? '', units };
}
