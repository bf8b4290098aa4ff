// The workflow bundle a worker runs: the one WORKFLOW_BUNDLE names (built once by whoever starts the
// workers: `npm start`, the chaos run, an image build), else built at start from workflows/.
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const build = () => bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') });

/** WORKFLOW_BUNDLE's file if set (it must exist), else a bundle built now (seconds of CPU). */
export async function workflowBundle(
  path: string,
): Promise<WorkflowBundleWithSourceMap | { codePath: string }> {
  if (!path) return build();
  if (!existsSync(path)) {
    throw new Error(
      `WORKFLOW_BUNDLE=${path}: no such file (build it with \`npm run build:workflows -- --out ${path}\`, or leave WORKFLOW_BUNDLE empty to bundle at start)`,
    );
  }
  return { codePath: path };
}

/**
 * Builds the bundle from this checkout's workflows/ into `path`. A bundle is only as current as the
 * code it was built from: build it where the workers' code is (the same checkout or image), each time.
 */
export async function writeWorkflowBundle(path: string): Promise<string> {
  const { code } = await build();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, code);
  return path;
}
