// Temporal on PostgreSQL's port layout: the server's config, the stack's busy-port check and the
// PostgreSQL port agree, stay within +0..+20 of the stack's base ports, and never meet another stack
// 100 ports away. (The server itself runs in `npm run chaos -- --temporal postgres`, not in npm test.)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../lib/infra/config';
import { loadStackConfig } from '../../scripts/stack/stack-config';
import { servicePorts, stackEnv, stackSpecFromConfig, type StackSpec } from '../../scripts/stack/spec';
import { postgresPort, temporalServerArgs, temporalUiArgs } from '../../scripts/stack/temporal-postgres';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'bourse-tpg-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const specAt = (offset: number): StackSpec =>
  stackSpecFromConfig(
    loadStackConfig({ ...stackEnv(offset, join(dir, `s${offset}`)), TEMPORAL_PERSISTENCE: 'postgres' }),
  );

/** Every port number in the server's written config (gRPC, membership, HTTP, metrics, PostgreSQL). */
function configPorts(spec: StackSpec): { server: number[]; postgres: number[] } {
  const args = temporalServerArgs(spec);
  const text = readFileSync(args[args.indexOf('--config-file') + 1], 'utf8');
  const cfg = JSON.parse(text) as {
    persistence: { datastores: Record<string, { sql: { connectAddr: string } }> };
  };
  const postgres = Object.values(cfg.persistence.datastores).map((d) =>
    Number(d.sql.connectAddr.split(':')[1]),
  );
  const server = [
    ...text.matchAll(/"(?:grpcPort|membershipPort|httpPort)": (\d+)|"listenAddress": "[^:]+:(\d+)"/g),
  ].map((m) => Number(m[1] ?? m[2]));
  return { server, postgres };
}

/** Every port a postgres-mode stack listens on, with the service's name. */
function stackPorts(spec: StackSpec): number[] {
  return [
    ...servicePorts(spec, 'temporal'),
    ...servicePorts(spec, 'temporal-ui'),
    postgresPort(spec),
    ...servicePorts(spec, 'kafka'),
    ...servicePorts(spec, 'redis'),
  ];
}

describe('Temporal on PostgreSQL, the port layout', () => {
  it('is chosen by TEMPORAL_PERSISTENCE (the dev server on SQLite by default); a bad value names the variable', () => {
    expect(loadStackConfig({}).TEMPORAL_PERSISTENCE).toBe('sqlite');
    expect(specAt(0).temporalPersistence).toBe('postgres');
    expect(() => loadStackConfig({ TEMPORAL_PERSISTENCE: 'mysql' })).toThrow(ConfigError);
    expect(() => loadStackConfig({ TEMPORAL_PERSISTENCE: 'mysql' })).toThrow(
      /^Invalid configuration: TEMPORAL_PERSISTENCE /,
    );
  });

  it.each([0, 100, 370, 900])(
    'at offset %i: the config listens exactly where the busy-port check looks',
    (offset) => {
      const spec = specAt(offset);
      const { server, postgres } = configPorts(spec);
      expect(new Set(server).size).toBe(server.length); // no two services on one port
      expect([...server].sort()).toEqual([...servicePorts(spec, 'temporal')].sort());
      expect(new Set(postgres)).toEqual(new Set([postgresPort(spec)]));
    },
  );

  it('stays within +0..+20 of the base ports, so stacks 100 apart never collide', () => {
    const [a, b] = [specAt(0), specAt(100)];
    for (const spec of [a, b]) {
      const ports = stackPorts(spec);
      expect(new Set(ports).size).toBe(ports.length);
      for (const p of [...servicePorts(spec, 'temporal'), postgresPort(spec)]) {
        const near = [spec.temporalPort, spec.temporalUiPort].some((base) => p >= base && p <= base + 20);
        expect({ port: p, near }).toEqual({ port: p, near: true });
      }
    }
    const taken = new Set(stackPorts(a));
    expect(stackPorts(b).filter((p) => taken.has(p))).toEqual([]);
  });

  it('points the Web UI at the frontend, on the port the dev server serves it on', () => {
    const spec = specAt(900);
    const args = temporalUiArgs(spec);
    const base = JSON.parse(
      readFileSync(join(args[args.indexOf('--root') + 1], 'config', 'base.yaml'), 'utf8'),
    ) as { temporalGrpcAddress: string; port: number };
    expect(base).toMatchObject({
      temporalGrpcAddress: `127.0.0.1:${spec.temporalPort}`,
      port: spec.temporalUiPort,
    });
  });
});
