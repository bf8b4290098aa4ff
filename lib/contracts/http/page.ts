// The trading page: a static HTML document (its scripts and styles under /assets are static files, not
// API operations, and are not listed).
import { op } from './operation';

export const pageOperations = [
  op({
    operationId: 'tradingPage',
    method: 'get',
    path: '/',
    summary: 'The trading page (HTML): account, stocks and chart, buy form, orders',
    description:
      'Built by `npm run build:web` into dist/web; its script and stylesheet are served from /assets with content-hashed names.',
    tags: ['page'],
    access: 'public',
    mayBeUnavailable: false,
    ok: { 200: { description: 'The page', contentType: 'text/html' } },
    errors: { 404: 'The page is not built (run npm run build:web)' },
  }),
];
