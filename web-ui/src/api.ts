// The admin API client: JSON in and out, the §3 error body as an ApiError, session loss and
// the forced password change reported to the shell, downloads and uploads with progress.
import type { Page } from './types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What the shell does when the server says the session is gone or a password change is due. */
export interface SessionHooks {
  onUnauthenticated(): void;
  onPasswordChangeRequired(): void;
}

let hooks: SessionHooks | null = null;
export function setSessionHooks(h: SessionHooks): void {
  hooks = h;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

async function errorOf(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `The satellite answered ${res.status}.`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // not JSON: keep the status line
  }
  const ra = res.headers.get('Retry-After');
  return new ApiError(res.status, code, message, ra && /^\d+$/.test(ra) ? Number(ra) : null);
}

/** The session is gone: the API's code (a bare 401 from something in between counts too). */
export const isSessionLost = (err: ApiError): boolean => err.code === 'UNAUTHENTICATED' || (err.status === 401 && err.code === 'HTTP_401');

function notify(err: ApiError, path: string): void {
  // A refused login is a wrong name or password, not a lost session.
  if (path !== '/api/login' && isSessionLost(err)) hooks?.onUnauthenticated();
  if (err.code === 'PASSWORD_CHANGE_REQUIRED') hooks?.onPasswordChangeRequired();
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (opts.signal) init.signal = opts.signal;
  if (opts.body !== undefined) {
    init.body = JSON.stringify(opts.body);
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
  }
  const res = await fetch(withQuery(path, opts.query), init);
  if (!res.ok) {
    const err = await errorOf(res);
    notify(err, path);
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('Content-Type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal });
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} });
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, { body });
export const del = <T>(path: string) => request<T>('DELETE', path);

/** Every page of a list that is small by nature (VAs, tag keys), up to `max` items. */
export async function all<T>(path: string, query: Query = {}, signal?: AbortSignal, max = 10_000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await get<Page<T>>(path, { ...query, limit: 1000, cursor }, signal);
    out.push(...page.items);
    cursor = page.next;
  } while (cursor && out.length < max);
  return out;
}

export interface Progress {
  (loaded: number, total: number | null): void;
}

/** Fetches a file (GET, or POST with a JSON body) and hands it to the browser as a download. */
export async function download(
  method: 'GET' | 'POST',
  path: string,
  opts: { query?: Query; body?: unknown; fallbackName: string; onProgress?: Progress; signal?: AbortSignal },
): Promise<{ name: string; bytes: number }> {
  const init: RequestInit = { method, credentials: 'same-origin' };
  if (opts.signal) init.signal = opts.signal;
  if (method === 'POST') {
    init.body = JSON.stringify(opts.body ?? {});
    init.headers = { 'Content-Type': 'application/json' };
  }
  const res = await fetch(withQuery(path, opts.query), init);
  if (!res.ok) {
    const err = await errorOf(res);
    notify(err, path);
    throw err;
  }
  const totalHeader = res.headers.get('Content-Length');
  const total = totalHeader && /^\d+$/.test(totalHeader) ? Number(totalHeader) : null;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  opts.onProgress?.(0, total);
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      opts.onProgress?.(loaded, total);
    }
  }
  const blob = new Blob(chunks as BlobPart[], { type: res.headers.get('Content-Type') ?? 'application/octet-stream' });
  const name = fileNameOf(res.headers.get('Content-Disposition')) ?? opts.fallbackName;
  saveBlob(blob, name);
  return { name, bytes: blob.size };
}

export function fileNameOf(disposition: string | null): string | null {
  if (!disposition) return null;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (star) {
    try {
      return sanitizeName(decodeURIComponent(star[1]!));
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  return plain ? sanitizeName(plain[1]!) : null;
}

const sanitizeName = (s: string): string => s.replace(/[\\/\u0000-\u001f]/g, '_').slice(0, 200) || 'download';

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has started once click() returns; the URL can go on the next turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Uploads a file as the raw request body (fetch cannot report upload progress; XHR can). */
export function upload<T>(path: string, file: Blob, opts: { type: string; onProgress?: Progress }): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Content-Type', opts.type);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded, e.lengthComputable ? e.total : null);
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'The satellite could not be reached.'));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as T);
      const e = (body as { error?: { code?: string; message?: string } } | null)?.error;
      const err = new ApiError(xhr.status, e?.code ?? `HTTP_${xhr.status}`, e?.message ?? `The satellite answered ${xhr.status}.`);
      notify(err, path);
      reject(err);
    };
    xhr.send(file);
  });
}
