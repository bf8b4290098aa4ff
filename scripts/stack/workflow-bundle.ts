// The workflow bundle `npm start` and the chaos run build once for the workers they start.
import { join } from 'node:path';
import { writeWorkflowBundle } from '../../workers/workflow-bundle';

/** Builds this checkout's workflow bundle into the stack folder; resolves with its path (WORKFLOW_BUNDLE). */
export const prebuildWorkflowBundle = (stackDir: string) =>
  writeWorkflowBundle(join(stackDir, 'workflow-bundle.js'));
