// WORKFLOW_BUNDLE: a worker runs the bundle it names, refuses a missing one by name, else builds its own.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workflowBundle, writeWorkflowBundle } from '../../workers/workflow-bundle';

const dir = mkdtempSync(join(tmpdir(), 'bourse-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a missing bundle is refused with the setting and the command that builds it', async () => {
  await expect(workflowBundle(join(dir, 'nope.js'))).rejects.toThrow(
    /WORKFLOW_BUNDLE=.*nope\.js: no such file .*npm run build:workflows -- --out/,
  );
});

test('a built bundle holds the workflows and is handed to the worker by path', async () => {
  const path = await writeWorkflowBundle(join(dir, 'sub', 'bundle.js'));
  const code = readFileSync(path, 'utf8');
  for (const name of ['buyOrder', 'priceFetch']) expect(code).toContain(name);
  await expect(workflowBundle(path)).resolves.toEqual({ codePath: path });
}, 60_000);
