// Who is signed in: the staff member, the CSRF token and the pages the role may open.
import { reactive } from 'vue';
import { api, setCsrfToken, ApiError } from './api';
import type { PageKey, Session, StaffMember } from './types';

export const session = reactive<{ staff: StaffMember | null; pages: PageKey[]; loaded: boolean }>({
  staff: null,
  pages: [],
  loaded: false,
});

export function applySession(s: Session): void {
  session.staff = s.staff;
  session.pages = s.pages;
  session.loaded = true;
  setCsrfToken(s.csrfToken);
}

export function clearSession(): void {
  session.staff = null;
  session.pages = [];
  session.loaded = true;
  setCsrfToken(null);
}

/** GET /me once; false when nobody is signed in. */
export async function loadSession(): Promise<boolean> {
  if (session.loaded) return session.staff !== null;
  try {
    applySession(await api.get<Session>('/me', undefined, { quiet401: true }));
    return true;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      clearSession();
      return false;
    }
    throw e;
  }
}

export async function login(username: string, password: string): Promise<void> {
  const s = await api.post<Session>('/login', { username, password });
  applySession(s);
}

export async function logout(): Promise<void> {
  try {
    await api.post('/logout');
  } finally {
    clearSession();
  }
}

export const ROLE_LABELS: Record<string, string> = {
  owner: '店主',
  operator: '运营',
  service: '客服',
  finance: '财务',
};
