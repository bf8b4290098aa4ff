// README's reference tables are checked against the code they describe: the configuration table
// against the variables and defaults of lib/infra/config (the service's), docs/deployment.md's against
// scripts/stack/stack-config (the local stack's, the tests' and the tools'), each its own, the HTTP
// table against the declared operations.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_OPERATIONS } from '../../lib/contracts/http';
import { CONFIG_DEFAULTS } from '../../lib/infra/config';
import { STACK_CONFIG_DEFAULTS } from '../../scripts/stack/stack-config';

const read = (file: string) => readFileSync(join(__dirname, '..', '..', file), 'utf8');
const readme = read('README.md');
const deployment = read('docs/deployment.md');
/** The text under a heading, up to the next heading of the same or a higher level. */
const sectionOf = (text: string, heading: string) => {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no "${heading}" section`);
  const level = heading.split(' ')[0];
  const next = [...text.slice(start + 1).matchAll(/\n(#+) /g)].find((m) => m[1].length <= level.length);
  return text.slice(start, next ? start + 1 + next.index : undefined);
};
const section = (title: string) => sectionOf(readme, `## ${title}`);
/** The cells of every row of a table in `text`. */
const tableRows = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
const rows = (title: string) => tableRows(section(title));

describe('README, Configuration', () => {
  // The service's table in README; the local stack's, the tests' and the tools' in docs/deployment.md.
  const tools = sectionOf(deployment, "### The local stack's, the tests' and the tools' settings");
  const tables = {
    'lib/infra/config': { shown: tableRows(section('Configuration')), defaults: CONFIG_DEFAULTS },
    'scripts/stack/stack-config': { shown: tableRows(tools), defaults: STACK_CONFIG_DEFAULTS },
  };

  test.each(Object.entries(tables))(
    "the table of %s's variables lists every one it reads, and only those",
    (_, { shown, defaults }) => {
      expect(shown.map(([name]) => name.replace(/`/g, '')).sort()).toEqual(Object.keys(defaults).sort());
    },
  );

  const table = new Map(
    Object.values(tables).flatMap(({ shown }) => shown.map(([name, dflt]) => [name.replace(/`/g, ''), dflt])),
  );
  test.each(Object.entries({ ...CONFIG_DEFAULTS, ...STACK_CONFIG_DEFAULTS }))(
    '%s: the default shown is the default',
    (name, dflt) => {
      const shown = table.get(name);
      if (name === 'STOCKS') expect(shown).toBe('the four demo stocks');
      else if (dflt === '') expect(shown).toBe('(empty)');
      else expect(shown).toBe(`\`${dflt}\``);
    },
  );
});

describe('README, HTTP API', () => {
  const listed = rows('HTTP API').map(([op]) => op.replace(/`/g, ''));

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
