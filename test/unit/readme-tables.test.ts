// README's reference tables are checked against the code they describe: the configuration table
// against the variables and defaults of lib/infra/config (the service's) and scripts/stack/stack-config
// (the local stack's, the tests' and the tools'), the HTTP table against the declared operations.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_OPERATIONS } from '../../lib/contracts/http';
import { CONFIG_DEFAULTS } from '../../lib/infra/config';
import { STACK_CONFIG_DEFAULTS } from '../../scripts/stack/stack-config';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const section = (title: string) => {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
};
/** The first cell of every row of a section's table, and the row's other cells. */
const rows = (title: string) =>
  section(title)
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );

describe('README, Configuration', () => {
  const defaults: Record<string, string> = { ...CONFIG_DEFAULTS, ...STACK_CONFIG_DEFAULTS };
  const table = new Map(rows('Configuration').map(([name, dflt]) => [name!.replace(/`/g, ''), dflt!]));

  test('lists every variable the service and its tools read, and only those', () => {
    expect([...table.keys()].sort()).toEqual(Object.keys(defaults).sort());
  });

  test.each(Object.entries(defaults))('%s: the default shown is the default', (name, dflt) => {
    const shown = table.get(name);
    if (name === 'STOCKS') expect(shown).toBe('the four demo stocks');
    else if (dflt === '') expect(shown).toBe('(empty)');
    else expect(shown).toBe(`\`${dflt}\``);
  });
});

describe('README, HTTP API', () => {
  const listed = rows('HTTP API').map(([op]) => op!.replace(/`/g, ''));

  test('lists every operation the API serves, and only those', () => {
    const served = API_OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect([...listed].sort()).toEqual([...served].sort());
  });

  test.each(API_OPERATIONS.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o.access] as const))(
    '%s: who may call it is as declared',
    (name, access) => {
      const row = rows('HTTP API').find(([op]) => op === `\`${name}\``)!;
      expect(row[1]).toBe({ public: 'public', user: 'user key', operator: 'operator', key: 'key' }[access]);
    },
  );
});
