// The trading page's static files, as `npm run build:web` wrote them into dist/web: GET / is the page
// (revalidated on every load), GET /assets/<name> its content-hashed script and stylesheet (immutable).
// Only names that are a single path segment of an existing asset are served: no directory traversal.
import Router from '@koa/router';
import type Koa from 'koa';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { notFound } from '../errors';
import type { RouteDeps } from './deps';
import { mount } from './mount';

export const PAGE_DIR = resolve(__dirname, '..', '..', 'dist', 'web');
const ASSETS_DIR = join(PAGE_DIR, 'assets');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** A file name of the build's shape (app-2KSPVLDD.js): letters, digits, - and _, dotted extensions. */
const ASSET_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)+$/;

/** The page may load only its own script, styles and API; nothing from elsewhere, no framing. */
const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // lightweight-charts positions its canvases with inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function createPageRouter(deps: RouteDeps): Router {
  const router = new Router();
  mount(router, deps, 'tradingPage', async (ctx) => {
    await sendFile(
      ctx,
      join(PAGE_DIR, 'index.html'),
      'no-cache',
      'the trading page is not built: run npm run build:web',
    );
    ctx.set('Content-Security-Policy', PAGE_POLICY);
    ctx.set('Referrer-Policy', 'no-referrer');
  });
  router.get('/assets/:file', async (ctx) => {
    const name = ctx.params.file ?? '';
    const path = resolve(ASSETS_DIR, name);
    if (!ASSET_NAME.test(name) || !path.startsWith(ASSETS_DIR + sep) || !CONTENT_TYPES[extname(name)]) {
      throw notFound(`No asset ${name}`, 'file');
    }
    await sendFile(ctx, path, 'public, max-age=31536000, immutable', `No asset ${name}`);
  });
  return router;
}

/** A file with its content type, cache policy and a validator (a repeat request may get 304). */
async function sendFile(
  ctx: Koa.Context,
  path: string,
  cacheControl: string,
  missing: string,
): Promise<void> {
  let size: number;
  let mtime: Date;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a file');
    ({ size, mtime } = s);
  } catch {
    throw notFound(missing);
  }
  ctx.set('Cache-Control', cacheControl);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Last-Modified', mtime.toUTCString());
  ctx.set('ETag', `"${size.toString(16)}-${mtime.getTime().toString(16)}"`);
  ctx.type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  ctx.body = await readFile(path);
}
