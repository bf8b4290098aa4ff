// docker-compose.yml is checked statically (no Docker engine here): Debian's docker-compose must accept
// it, and the app services must run the very commands `npm start` runs.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import { APP_PROCESSES, commandOf, type AppProcess } from '../../../scripts/stack/app-processes';
import { ROOT } from '../../../scripts/stack/local-stack';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
}

function composeConfig(): { services: Record<string, Service> } {
  const r = spawnSync('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), 'config'], {
    encoding: 'utf8',
  });
  if (r.error)
    throw new Error(`docker-compose is not installed (apt-get install docker-compose): ${r.error.message}`);
  expect(r.stderr).not.toMatch(/invalid|error/i);
  expect(r.status).toBe(0);
  return parse(r.stdout) as { services: Record<string, Service> };
}

test('docker-compose config accepts the file, with every service of the system', () => {
  const { services } = composeConfig();
  expect(Object.keys(services).sort()).toEqual(
    [
      'api',
      'consumer',
      'grafana',
      'kafka',
      'order-events-consumer',
      'postgresql',
      'prometheus',
      'redis',
      'setup',
      'temporal',
      'temporal-ui',
      'worker',
    ].sort(),
  );
  expect(services.temporal?.environment?.DB).toBe('postgres12'); // PostgreSQL-backed, not the dev server
  expect(services.redis?.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
  expect(services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller'); // KRaft
  for (const svc of Object.values(services)) expect(svc.image ?? '').not.toMatch(/:latest$|^[^:]*$/);
});

test.each(Object.keys(APP_PROCESSES) as AppProcess[])('the %s service runs what npm start runs', (name) => {
  const { services } = composeConfig();
  const service = services[name];
  expect(service?.build).toBeDefined();
  expect(service?.command).toEqual(commandOf(name));
});
