// The trading page's static route on the real API: content types, cache policy, validators, and no
// file outside dist/web/assets, however its name is spelled.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PAGE_DIR } from '../../../api/routes/page';
import { buildWebIfStale } from '../../../scripts/web/build';
import { startApi, type Api } from '../../support/app-harness';
import { rawRequest } from '../../support/raw-http';

let api: Api;
let script: string;
let style: string;

beforeAll(async () => {
  await buildWebIfStale();
  const assets = readdirSync(join(PAGE_DIR, 'assets'));
  script = assets.find((f) => f.endsWith('.js'))!;
  style = assets.find((f) => f.endsWith('.css'))!;
  api = await startApi();
});

afterAll(async () => {
  await api?.close();
});

test('GET / is the page: HTML, revalidated each load, pointing at the hashed assets', async () => {
  const res = await fetch(`${api.url}/`);
  const html = await res.text();
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('cache-control')).toBe('no-cache');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  expect(html).toContain(`/assets/${script}`);
  expect(html).toContain(`/assets/${style}`);
  // Nothing from a CDN: every script and stylesheet is the API's own.
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);

  // By hand: fetch adds Cache-Control: no-cache to a conditional request, which asks for the full body.
  const again = await rawRequest(
    api.url,
    `GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: ${res.headers.get('etag')}\r\nConnection: close`,
  );
  expect(again.status).toBe(304);
});

test.each([
  ['js', () => script, 'text/javascript; charset=utf-8'],
  ['css', () => style, 'text/css; charset=utf-8'],
])('a %s asset has its content type and is cached for good', async (_kind, name, type) => {
  const res = await fetch(`${api.url}/assets/${name()}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe(type);
  expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
});

test.each([
  '/assets/..%2Findex.html',
  '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
  '/assets/..%5c..%5cpackage.json',
  '/assets/../../package.json',
  '/assets/%2e%2e',
  '/assets/nope.js',
  '/assets/app.exe',
])('%s is a JSON 404, never a file outside the assets', async (path) => {
  const res = await rawRequest(api.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close`);
  expect(res.status).toBe(404);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).not.toContain('"name": "bourse"');
});

test('the OpenAPI document lists the page as public HTML that needs no service', async () => {
  const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as {
    paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }>;
  };
  const page = doc.paths['/']?.get;
  expect(Object.keys(page?.responses ?? {}).sort()).toEqual(['200', '404']);
  expect(Object.keys(page!.responses['200'].content ?? {})).toEqual(['text/html']);
  expect(Object.keys(doc.paths).some((p) => p.startsWith('/assets'))).toBe(false);
});
