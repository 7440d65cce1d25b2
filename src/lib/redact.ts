/**
 * A citizen's status token (`/v1/status/{receipt}`) is a capability in the path: whoever holds it
 * reads the application's status. Logs and traces carry the path with it replaced.
 */
export const redactCapabilityPath = (url: string): string => url.replace(/^\/v1\/status\/[^/?]*/, '/v1/status/[redacted]');
