// The command lines of the three services, with their data under the stack's folder.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORDER_SEARCH_ATTRIBUTES } from '../../lib/infra/temporal';
import type { StackSpec } from './spec';
import { kafkaLib, run } from './tools';

export function redisArgs(spec: StackSpec): string[] {
  const data = join(spec.dir, 'redis');
  mkdirSync(data, { recursive: true });
  // Append-only file fsynced every second: a crash of Redis loses at most ~1 s of writes, a crash of
  // the process alone (SIGKILL) loses none that reached the kernel. RDB snapshots are off.
  return [
    '--port',
    String(spec.redisPort),
    '--bind',
    '127.0.0.1',
    '--dir',
    data,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
  ];
}

export function kafkaArgs(spec: StackSpec): string[] {
  const base = join(spec.dir, 'kafka');
  const data = join(base, 'data');
  mkdirSync(data, { recursive: true });
  const controllerPort = spec.kafkaPort + 1;
  const props = join(base, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${spec.kafkaPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${spec.kafkaPort}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${data}`,
      'num.partitions=6',
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=6',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=6',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const log4j = join(base, 'log4j.properties');
  writeFileSync(
    log4j,
    [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.BrokerServer=INFO',
      '',
    ].join('\n'),
  );
  const classpath = `${kafkaLib}/*`;
  const jvm = [
    '-Xms256m',
    '-Xmx768m',
    '-XX:+UseG1GC',
    `-Dlog4j.configuration=file:${log4j}`,
    '-cp',
    classpath,
  ];
  if (!existsSync(join(data, 'meta.properties'))) {
    // Format the KRaft storage once; a restart keeps the cluster id and every topic.
    const clusterId = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    const r = run('java', [
      ...jvm,
      'kafka.tools.StorageTool',
      'format',
      `--cluster-id=${clusterId}`,
      '-c',
      props,
    ]);
    if (!r.ok) throw new Error(`formatting Kafka storage failed:\n${r.out}`);
  }
  return [...jvm, 'kafka.Kafka', props];
}

/**
 * The dev server's SQLite settings. The default rollback journal makes every write wait for readers
 * and rewrite the journal: orders collapsed at 25/s. Write-ahead logging lets readers and the writer
 * run together; synchronous=full still syncs the log at every commit, so an accepted order survives
 * a power cut (normal measured no faster here). Measured in docs/performance.md.
 */
const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=full'];

export function temporalArgs(spec: StackSpec): string[] {
  mkdirSync(join(spec.dir, 'temporal'), { recursive: true });
  return [
    'server',
    'start-dev',
    '--db-filename',
    join(spec.dir, 'temporal', 'temporal.db'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(spec.temporalPort),
    '--ui-port',
    String(spec.temporalUiPort),
    '--http-port',
    String(spec.temporalUiPort + 1),
    '--metrics-port',
    String(spec.temporalUiPort + 2),
    '--log-level',
    'warn',
    ...SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]),
    ...Object.entries(ORDER_SEARCH_ATTRIBUTES).flatMap(([k, v]) => ['--search-attribute', `${k}=${v}`]),
  ];
}
