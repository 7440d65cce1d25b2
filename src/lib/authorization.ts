/**
 * The one parser of `Authorization` headers (RFC 9110 §11.4: `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`).
 * The scheme is case-insensitive (§11.1): `Bearer`, `bearer` and `BEARER` are one scheme; one or
 * more spaces separate it from the credentials. Every place that reads a bearer token or HTTP Basic
 * credentials (the /v1 auth plugin, the token endpoint, its rate limit, /metrics, the citizen status)
 * goes through here.
 */

export type AuthScheme = 'Bearer' | 'Basic';

// auth-scheme = token (RFC 9110 §5.6.2), then 1*SP, then the rest of the field value.
const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(\S(?:.*\S)?)$/;
// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" (RFC 9110 §11.2)
const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/;
// Basic credentials are base64 (RFC 7617 §2, RFC 4648 §4) with its padding: Node's decoder would skip other characters silently.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The credentials an Authorization header carries for `scheme`: what follows the scheme and its
 * spaces (surrounding whitespace, which is not part of a field value, ignored). Null when the header
 * is absent, names another scheme, or carries nothing after the scheme.
 */
export function credentialsFor(header: string | undefined, scheme: AuthScheme): string | null {
  if (!header) return null;
  const m = CREDENTIALS.exec(header.replace(/^[ \t]+|[ \t]+$/g, ''));
  if (!m || m[1]!.toLowerCase() !== scheme.toLowerCase()) return null;
  return m[2]!;
}

/** The JWT (JWS compact serialisation) of `Authorization: Bearer <JWT>`, or null. */
export function bearerJwt(header: string | undefined): string | null {
  const token = credentialsFor(header, 'Bearer');
  return token !== null && JWS_COMPACT.test(token) ? token : null;
}

/**
 * HTTP Basic credentials (RFC 7617), user-id and password percent-decoded as RFC 6749 §2.3.1 wants
 * them for client_secret_basic. Null when the header is not Basic, not base64, has no `:` or an
 * empty user-id, or is malformed percent-encoding.
 */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  const decoded = decodedBasic(header);
  if (decoded === null) return null;
  const i = decoded.indexOf(':');
  if (i < 1) return null;
  try {
    return { user: decodeURIComponent(decoded.slice(0, i)), password: decodeURIComponent(decoded.slice(i + 1)) };
  } catch {
    return null;
  }
}

/** The user-id of HTTP Basic credentials as sent (percent-decoded when possible), for rate limiting; null if not Basic. */
export function basicUser(header: string | undefined): string | null {
  const decoded = decodedBasic(header);
  if (decoded === null) return null;
  const user = decoded.split(':')[0] ?? '';
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

/** The decoded `user-id:password` of Basic credentials in strict base64, or null. */
function decodedBasic(header: string | undefined): string | null {
  const token = credentialsFor(header, 'Basic');
  if (token === null || !TOKEN68.test(token) || !BASE64.test(token)) return null;
  return Buffer.from(token, 'base64').toString('utf8');
}
