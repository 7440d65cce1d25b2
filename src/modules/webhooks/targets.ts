import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * Where webhooks may go (SSRF guard). A target must be https (http only where allowed, e.g. in
 * development), carry no credentials, and every address its host resolves to must be public
 * unicast: loopback, private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT,
 * unique-local, multicast and reserved ranges are refused unless an allow-list names them.
 * The same check runs again on every connection, on the address actually dialled, so a DNS answer
 * that changes after registration (rebinding) cannot reach an internal host.
 */
export interface TargetPolicy {
  allowHttp: boolean;
  /** CIDR ranges that may be reached although they are not public (e.g. 127.0.0.1/32 for tests). */
  allowedPrivate: [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

export class TargetRefused extends Error {
  override name = 'TargetRefused';
}

export function parseAllowList(list: string): TargetPolicy['allowedPrivate'] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((cidr) => (cidr.includes('/') ? ipaddr.parseCIDR(cidr) : ([ipaddr.parse(cidr), ipaddr.parse(cidr).kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number])));
}

/** Why an address may not be dialled, or null when it may. */
export function addressProblem(address: string, policy: TargetPolicy): string | null {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return `${address} is not an IP address`;
  }
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  for (const [range, bits] of policy.allowedPrivate) {
    if (range.kind() === ip.kind() && ip.match(range, bits)) return null;
  }
  const kind = ip.range();
  return kind === 'unicast' ? null : `${ip.toString()} is in the ${kind} range`;
}

/** Checks a URL's form (scheme, credentials); the addresses are checked by `resolveTarget`. */
export function urlProblem(raw: string, policy: TargetPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) return 'must use https';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.hash) return 'must not contain a fragment';
  return null;
}

const lookupAll = (host: string) =>
  new Promise<LookupAddress[]>((resolve, reject) => dns.lookup(host, { all: true, verbatim: true }, (err, a) => (err ? reject(err) : resolve(a))));

/** Resolves the URL's host and refuses it unless every address may be dialled. */
export async function resolveTarget(raw: string, policy: TargetPolicy): Promise<void> {
  const problem = urlProblem(raw, policy);
  if (problem) throw new TargetRefused(`The URL ${problem}`);
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  try {
    addresses = ipaddr.isValid(host) ? [{ address: host, family: host.includes(':') ? 6 : 4 }] : await lookupAll(host);
  } catch {
    throw new TargetRefused(`The host ${host} cannot be resolved`);
  }
  for (const a of addresses) {
    const p = addressProblem(a.address, policy);
    if (p) throw new TargetRefused(`The host ${host} is not allowed: ${p}`);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for sockets that only ever yields allowed addresses (the connection-time check). */
export function guardedLookup(policy: TargetPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, { all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const allowed = addresses.filter((a) => addressProblem(a.address, policy) === null);
      if (allowed.length === 0) {
        const e: NodeJS.ErrnoException = new TargetRefused(`${hostname} resolves only to addresses that are not allowed`);
        e.code = 'EADDRNOTALLOWED';
        return callback(e, '');
      }
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
