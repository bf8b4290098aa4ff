// A small HTTP client for the tests and chaos: JSON in and out, the status, headers and elapsed time.
export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
  ms: number;
}

export async function http<T = Record<string, unknown>>(
  url: string,
  init: RequestInit & { json?: unknown; raw?: string } = {},
): Promise<HttpAnswer<T>> {
  const { json, raw, ...rest } = init;
  const headers = new Headers(rest.headers);
  let body = rest.body;
  if (json !== undefined || raw !== undefined) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    body = raw ?? JSON.stringify(json);
  }
  const started = performance.now();
  const res = await fetch(url, { ...rest, headers, body, method: rest.method ?? (body ? 'POST' : 'GET') });
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : {}) as T,
    headers: res.headers,
    ms: performance.now() - started,
  };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
