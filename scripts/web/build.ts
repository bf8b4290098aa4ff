// Builds the trading page (web/) into dist/web: one bundled, minified script and stylesheet with content
// hashes in their names (served as immutable), and index.html pointing at them. `npm run build:web`;
// scripts/stack/ensure-deps.sh runs it when dist/web is missing or older than its sources.
import { build } from 'esbuild';
import { runCommand, type CommandSpec, type Parsed } from '../cli';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

export const WEB_SOURCE = join(ROOT, 'web');
export const WEB_OUT = join(ROOT, 'dist', 'web');

/** What the build reads: a change to any of them makes dist/web stale. */
const SOURCES = [WEB_SOURCE, __dirname, join(ROOT, 'package-lock.json')];

function newestMtime(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((f) => newestMtime(join(path, f))));
}

/** dist/web is missing, or older than one of its sources. */
export function webBuildIsStale(out = WEB_OUT): boolean {
  const page = join(out, 'index.html');
  return !existsSync(page) || Math.max(...SOURCES.map(newestMtime)) > statSync(page).mtimeMs;
}

/** Builds the page unless dist/web is already newer than its sources; true if it built. */
export async function buildWebIfStale(out = WEB_OUT): Promise<boolean> {
  if (!webBuildIsStale(out)) return false;
  await buildWeb(out);
  return true;
}

export async function buildWeb(out = WEB_OUT): Promise<string[]> {
  rmSync(out, { recursive: true, force: true });
  const assets = join(out, 'assets');
  mkdirSync(assets, { recursive: true });
  const result = await build({
    entryPoints: { app: join(WEB_SOURCE, 'src', 'main.ts'), style: join(WEB_SOURCE, 'styles.css') },
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    target: ['es2022'],
    outdir: assets,
    entryNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const named = (ext: string) => {
    const f = outputs.find((o) => o.endsWith(ext));
    if (!f) throw new Error(`esbuild wrote no ${ext} file`);
    return `/assets/${f}`;
  };
  const html = readFileSync(join(WEB_SOURCE, 'index.html'), 'utf8')
    .replace('/assets/app.css', named('.css'))
    .replace('/assets/app.js', named('.js'));
  writeFileSync(join(out, 'index.html'), html);
  return ['index.html', ...outputs.map((o) => `assets/${o}`)];
}

export const command = {
  usage: 'npm run build:web',
  summary: 'Builds the trading page (web/) into dist/web, which GET / serves',
  options: {
    'if-stale': {
      kind: 'boolean',
      description: 'build only when dist/web is missing or older than its sources (npm start, npm test)',
    },
  },
} as const satisfies CommandSpec;

async function main({ values }: Parsed<typeof command.options>): Promise<void> {
  if (values['if-stale'] && !webBuildIsStale()) return;
  const files = await buildWeb();
  process.stdout.write(`[bourse] trading page built into dist/web: ${files.join(', ')}\n`);
}

if (require.main === module) runCommand(command, main);
