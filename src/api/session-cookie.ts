/** The dashboard's session cookie (docs/dashboard.md). */
export const SESSION_COOKIE = 'callwright_session';

/** The value of one cookie in a `Cookie` header (RFC 6265 §5.4), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

/**
 * `Set-Cookie` for the session: HttpOnly (page scripts never see the token), SameSite=Strict (no
 * other site can make the browser send it), Path=/ (the API and the dashboard share the origin),
 * Secure when the API is reached over HTTPS.
 */
export function sessionCookie(token: string, maxAgeS: number, secure: boolean): string {
  const attrs = [`${SESSION_COOKIE}=${token}`, 'HttpOnly', 'SameSite=Strict', 'Path=/', `Max-Age=${maxAgeS}`];
  if (secure) attrs.push('Secure');
  return attrs.join('; ');
}

/** Clears the session cookie in the browser. */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}
