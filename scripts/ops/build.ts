// `npm run build`: what the image runs, compiled. tsc compiles the app's entry points
// (tsconfig.build.json) and what they import into <out>/ (no bench, chaos or test code), the workflow
// bundle is built once into <out>/workflow-bundle.js (workers start with WORKFLOW_BUNDLE naming it,
// instead of bundling for seconds at each start), and the trading page is built where the compiled
// page router reads it. Then `node <out>/api/server.js` runs with production dependencies only.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { runCommand, type CommandSpec, type Parsed } from '../cli';
import { APP_PROCESSES, BUILD_DIR, SETUP_ENTRY, WORKFLOW_BUNDLE_FILE } from '../stack/app-processes';
import { ROOT } from '../stack/spec';
import { buildWeb } from '../web/build';
import { writeWorkflowBundle } from '../../workers/workflow-bundle';

export const command = {
  usage: 'npm run build --',
  summary: 'compiles the app into dist/ for the image: JavaScript, the workflow bundle, the trading page',
  options: {
    out: { kind: 'string', description: 'the folder to build into', default: BUILD_DIR },
  },
} as const satisfies CommandSpec;

/**
 * Where the compiled trading page goes inside the build folder: api/routes/page.ts reads
 * `../../dist/web` from its own folder, which from `<out>/api/routes/` is `<out>/dist/web`.
 */
export const COMPILED_PAGE_DIR = join('dist', 'web');

/** The compiled folders a build replaces (dist/web, the page `npm start` serves, is left alone). */
const COMPILED = ['api', 'activities', 'lib', 'scripts', 'workers', 'workflows', 'dist', 'package.json'];

export async function buildApp(out: string): Promise<string[]> {
  // It replaces api/, lib/, … inside `out`: never the sources themselves.
  if (out === ROOT || ROOT.startsWith(out + sep)) throw new Error(`--out ${out} would replace the sources`);
  for (const entry of COMPILED) rmSync(join(out, entry), { recursive: true, force: true });
  rmSync(join(out, WORKFLOW_BUNDLE_FILE), { force: true });
  const tsc = spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${tsc.status})`);
  await writeWorkflowBundle(join(out, WORKFLOW_BUNDLE_FILE));
  await buildWeb(join(out, COMPILED_PAGE_DIR));
  // What the image runs, relative to `out`.
  const sources: string[] = [...Object.values(APP_PROCESSES), SETUP_ENTRY];
  return [...sources.map((f) => f.replace(/\.ts$/, '.js')), WORKFLOW_BUNDLE_FILE, COMPILED_PAGE_DIR];
}

async function main({ values }: Parsed<typeof command.options>): Promise<void> {
  const out = resolve(ROOT, values.out);
  const built = await buildApp(out);
  process.stdout.write(`[bourse] built into ${out}: ${built.join(', ')}\n`);
}

if (require.main === module) runCommand(command, main);
