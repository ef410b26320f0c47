// Calls to Vigil's API: the same routes and Bearer keys the SDKs use, on this page's origin.
// The key lives in sessionStorage only (gone when the tab closes); it is sent in the
// Authorization header and never put in a URL or logged.

const KEY_NAME = 'vigil.key';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export const session = {
  key() {
    return sessionStorage.getItem(KEY_NAME) || '';
  },
  set(key) {
    sessionStorage.setItem(KEY_NAME, key);
  },
  clear() {
    sessionStorage.removeItem(KEY_NAME);
  },
};

// Called when the server refuses the key (401), so the app can ask for another one.
let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

// Builds "?a=1&b=2" from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// One API call. Resolves to the parsed JSON body (or the text of non-JSON bodies such as
// playbooks); rejects with ApiError carrying the server's error message, or with the fetch
// AbortError when `signal` fires (the page navigated away).
export async function api(method, path, { body, signal, key } = {}) {
  const headers = { Authorization: 'Bearer ' + (key || session.key()) };
  const init = { method, headers, signal, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'cannot reach the server');
  }
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('application/json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const message = data && typeof data === 'object' && data.error ? data.error : `HTTP ${res.status}`;
    if (res.status === 401 && !key) onUnauthorized();
    throw new ApiError(res.status, message);
  }
  return data;
}

export const get = (path, params, opts) => api('GET', path + query(params), opts);
