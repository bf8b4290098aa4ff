// The tools that render and check deploy/kubernetes offline, pinned and cached under .stack/tools:
// kustomize built with `go install` through the Go module proxy, and kubernetes-validate from PyPI,
// which bundles the Kubernetes API's JSON schemas (so validation needs no network and no cluster).
// Installed on the first `npm test` that needs them (test/unit/kubernetes.test.ts).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Log } from './spec';
import { PrerequisiteError, TOOLS_DIR, installPythonVenv, run } from './tools';

export const K8S_TOOL_VERSIONS = {
  kustomize: '5.8.1', // sigs.k8s.io/kustomize/kustomize/v5, built with the machine's Go (1.26)
  kubernetesValidate: '1.37.0', // PyPI kubernetes-validate: schemas of Kubernetes 1.25 … 1.37
} as const;

/** The Kubernetes releases the manifests are checked against: an old one still served, and the newest. */
export const K8S_SCHEMA_VERSIONS = ['1.30.0', '1.37.0'] as const;

const kustomizeDir = join(TOOLS_DIR, `kustomize-${K8S_TOOL_VERSIONS.kustomize}`);
const validateDir = join(TOOLS_DIR, `kubernetes-validate-${K8S_TOOL_VERSIONS.kubernetesValidate}`);

export interface K8sTools {
  /** The kustomize binary. */
  kustomize: string;
  /** argv prefix running kubernetes-validate (the venv's python, so the folder may be renamed). */
  validate: string[];
}

/** Builds kustomize in a child process of its own, so the pip install can run meanwhile. */
async function provisionKustomize(log: Log): Promise<void> {
  if (existsSync(join(kustomizeDir, 'kustomize'))) return;
  if (!run('sh', ['-c', 'command -v go']).ok) {
    throw new PrerequisiteError(
      'validating deploy/kubernetes needs Go to build kustomize (https://go.dev/dl or apt-get install golang)',
    );
  }
  const partial = `${kustomizeDir}.partial-${process.pid}`;
  log(
    `building kustomize ${K8S_TOOL_VERSIONS.kustomize} with go install (Go module proxy) into ${kustomizeDir}`,
  );
  const ok = await new Promise<boolean>((resolve) => {
    const child = spawn(
      'go',
      ['install', `sigs.k8s.io/kustomize/kustomize/v5@v${K8S_TOOL_VERSIONS.kustomize}`],
      {
        // GOTOOLCHAIN=local: a module asking for a newer Go fails here instead of fetching a toolchain.
        env: { ...process.env, GOBIN: partial, GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
  if (!ok) {
    rmSync(partial, { recursive: true, force: true });
    throw new PrerequisiteError(`go install of kustomize ${K8S_TOOL_VERSIONS.kustomize} failed (see above)`);
  }
  renameSync(partial, kustomizeDir);
}

function provisionValidate(log: Log): void {
  if (existsSync(join(validateDir, '.installed'))) return;
  const partial = `${validateDir}.partial-${process.pid}`;
  log(`installing kubernetes-validate ${K8S_TOOL_VERSIONS.kubernetesValidate} from PyPI into ${validateDir}`);
  if (!installPythonVenv(partial, [`kubernetes-validate==${K8S_TOOL_VERSIONS.kubernetesValidate}`])) {
    rmSync(partial, { recursive: true, force: true });
    throw new PrerequisiteError(
      `pip install kubernetes-validate==${K8S_TOOL_VERSIONS.kubernetesValidate} failed (see above)`,
    );
  }
  run('touch', [join(partial, '.installed')]);
  rmSync(validateDir, { recursive: true, force: true });
  renameSync(partial, validateDir);
}

/**
 * Installs whatever is missing (the Go build and the pip install side by side); a missing
 * prerequisite rejects with one PrerequisiteError naming it.
 */
export async function ensureK8sTools(log: Log): Promise<K8sTools> {
  mkdirSync(TOOLS_DIR, { recursive: true });
  const kustomize = provisionKustomize(log);
  try {
    provisionValidate(log);
  } finally {
    // Never leave the build running behind a failed pip install.
    await kustomize.catch(() => undefined);
  }
  await kustomize;
  return {
    kustomize: join(kustomizeDir, 'kustomize'),
    validate: [join(validateDir, 'bin', 'python'), '-m', 'kubernetes_validate'],
  };
}
