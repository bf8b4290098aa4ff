// `npm run build:workflows`: the workflow bundle, built once for workers started with
// WORKFLOW_BUNDLE=<file> (each would otherwise build its own at start: seconds of CPU per worker).
import { resolve } from 'node:path';
import { writeWorkflowBundle } from '../../workers/workflow-bundle';
import { runCommand, type CommandSpec, type Parsed } from '../cli';

export const command = {
  usage: 'npm run build:workflows --',
  summary: "builds this checkout's workflow bundle into a file, for workers started with WORKFLOW_BUNDLE",
  options: {
    out: { kind: 'string', description: 'the file to write', default: '.stack/workflow-bundle.js' },
  },
} as const satisfies CommandSpec;

async function main({ values }: Parsed<typeof command.options>): Promise<void> {
  const path = await writeWorkflowBundle(resolve(values.out));
  process.stdout.write(`workflow bundle written to ${path}; start workers with WORKFLOW_BUNDLE=${path}\n`);
}

if (require.main === module) runCommand(command, main);
