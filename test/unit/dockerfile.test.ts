// The Dockerfile, checked statically (no Docker engine here; test/integration/platform/image-steps.test.ts
// replays its steps): the app stage runs `npm run build`'s JavaScript with production dependencies
// only, workers load the prebuilt workflow bundle, and the build context holds only what is copied.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  APP_PROCESSES,
  BUILD_DIR,
  SETUP_ENTRY,
  WORKFLOW_BUNDLE_FILE,
  compiledCommandOf,
} from '../../scripts/stack/app-processes';
import { ROOT } from '../../scripts/stack/spec';
import { nodeVersion } from '../../scripts/stack/tools';
import { IMAGE_STEPS, dockerfileStages, stageSettings } from '../support/deploy-checks';

const stages = dockerfileStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const stage = (name: string) => {
  const s = stages.get(name);
  if (!s) throw new Error(`the Dockerfile has no stage ${name}`);
  return s;
};
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

test('three stages on one Node base: build, production dependencies, the app', () => {
  expect([...stages.keys()]).toEqual(['build', 'deps', 'app']);
  const bases = new Set([...stages.values()].map((s) => s[0].split(/\s+/)[1]));
  expect(bases.size).toBe(1);
  expect([...bases][0]).toMatch(/^node:\d+\.\d+\.\d+-bookworm-slim$/);
});

test('the image, engines and @types/node are on the Node the local stack and the tests run on (.node-version)', () => {
  const pinned = nodeVersion();
  expect(pinned).toMatch(/^24\.\d+\.\d+$/); // Node 24 LTS
  for (const s of stages.values()) expect(s[0].split(/\s+/)[1]).toBe(`node:${pinned}-bookworm-slim`);
  expect(pkg.engines.node).toBe(`${pinned.split('.')[0]}.x`);
  expect(pkg.devDependencies['@types/node'].split('.')[0]).toBe(pinned.split('.')[0]);
});

test('the build stage installs everything and runs npm run build; the deps stage omits dev', () => {
  expect(stageSettings(stage('build')).runs).toEqual([IMAGE_STEPS.installAll, IMAGE_STEPS.build]);
  expect(stageSettings(stage('deps')).runs).toEqual([IMAGE_STEPS.installProduction]);
  expect(pkg.scripts.build).toBe('tsx scripts/ops/build.ts');
});

test('the app stage: compiled JavaScript, production node_modules, no sources, no tsx', () => {
  const app = stageSettings(stage('app'));
  expect(app.workdir).toBe('/app');
  expect(app.copies).toEqual([
    '--from=deps /app/node_modules ./node_modules',
    'package.json ./',
    `--from=build /app/${BUILD_DIR} ./${BUILD_DIR}`,
  ]);
  expect(app.runs).toEqual([]); // nothing runs at build time in the final image, nothing writes at run time
  expect(stage('app').join('\n')).not.toMatch(/tsx/);
  expect(app.cmd).toEqual(compiledCommandOf('api'));
  expect(stage('app')).toContain('USER node');
  // tsx is a dev dependency: absent from the image's node_modules.
  expect(pkg.dependencies.tsx).toBeUndefined();
  expect(pkg.devDependencies.tsx).toBeDefined();
});

test("the app stage's workers load the prebuilt workflow bundle", () => {
  const app = stageSettings(stage('app'));
  expect(app.env.WORKFLOW_BUNDLE).toBe(`${app.workdir}/${BUILD_DIR}/${WORKFLOW_BUNDLE_FILE}`);
  expect(app.env.NODE_ENV).toBe('production');
});

test('tsconfig.build.json compiles every entry point the image runs, and nothing of bench, chaos or tests', () => {
  // JSON with comments: tsc's own format.
  const text = readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
  const build = JSON.parse(text) as {
    files: string[];
    include: string[];
    compilerOptions: { outDir: string };
  };
  expect(build.compilerOptions.outDir).toBe(BUILD_DIR);
  expect(build.include).toEqual([]);
  expect(build.files).toEqual(
    expect.arrayContaining([...Object.values(APP_PROCESSES), SETUP_ENTRY, 'workflows/index.ts']),
  );
  for (const f of build.files) expect(f).not.toMatch(/^(test|scripts\/(bench|chaos|ops))\//);
});

test('.dockerignore leaves out everything but what the Dockerfile copies', () => {
  const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  expect(lines[0]).toBe('*');
  const kept = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
  const fromContext = [...stages.values()]
    .flatMap((s) => stageSettings(s).copies)
    .filter((c) => !c.startsWith('--from='))
    .flatMap((c) => c.split(/\s+/).slice(0, -1));
  expect([...new Set(fromContext)].sort()).toEqual([...kept].sort());
  expect(lines).toContain('**/node_modules');
});
