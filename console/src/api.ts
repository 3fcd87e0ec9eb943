// The console's only way to the server: same-origin fetch, JSON in and out, the
// CSRF token (kept in memory, from login or /me) on every write, and the
// server's `{code, message, details}` thrown as an ApiError.
import type { ErrorBody } from './types';

export const BASE = '/admin/api';

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | null;
  constructor(status: number, body: ErrorBody) {
    super(body.message || body.code);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.details = body.details ?? null;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the server answers 401 STAFF_UNAUTHORIZED (the router sends the user to the login page). */
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === null || v === undefined || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

interface Options {
  query?: Query;
  body?: unknown;
  /** A raw body (CSV text, FormData) sent as is. */
  raw?: BodyInit;
  contentType?: string;
  /** Do not redirect to the login page on 401 (the login page itself, /me at start). */
  quiet401?: boolean;
}

export async function request<T>(method: string, path: string, opts: Options = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: BodyInit | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    if (opts.contentType) headers['Content-Type'] = opts.contentType;
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(withQuery(BASE + path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, { code: 'NETWORK', message: '网络异常，请检查连接后重试' });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const b = (data && typeof data === 'object' && 'code' in data)
      ? (data as ErrorBody)
      : { code: `HTTP_${res.status}`, message: `请求失败（HTTP ${res.status}）` };
    const err = new ApiError(res.status, b);
    if (res.status === 401 && err.code === 'STAFF_UNAUTHORIZED' && !opts.quiet401) {
      csrfToken = null;
      onUnauthorized();
    }
    throw err;
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, query?: Query, opts: Options = {}) => request<T>('GET', path, { ...opts, query }),
  post: <T>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, { body: body ?? {}, query }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body: body ?? {} }),
  del: <T>(path: string) => request<T>('DELETE', path),
  raw: <T>(method: string, path: string, raw: BodyInit, contentType?: string, query?: Query) =>
    request<T>(method, path, { raw, contentType, query }),
};

/** The user-facing text of any error. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
