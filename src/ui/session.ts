import { api, setCsrfToken } from './api.js';

export interface SessionInfo {
  api_key_id: string;
  csrf_token: string;
  expires_at: string;
}

/** The session this browser holds, if any (the cookie is HTTP-only: only the server can tell). */
export async function currentSession(): Promise<SessionInfo | undefined> {
  try {
    const s = await api<SessionInfo>('GET', '/session');
    setCsrfToken(s.csrf_token);
    return s;
  } catch {
    return undefined;
  }
}

export async function signIn(key: string): Promise<SessionInfo> {
  const s = await api<SessionInfo>('POST', '/session', { key });
  setCsrfToken(s.csrf_token);
  return s;
}

export async function signOut(): Promise<void> {
  try {
    await api('DELETE', '/session');
  } finally {
    setCsrfToken(undefined);
  }
}
