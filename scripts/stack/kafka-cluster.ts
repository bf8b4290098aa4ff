// The local stack's Kafka: one KRaft node, or three combined broker+controller nodes (the HA layout),
// all from the same pinned jars. Node n keeps its data in `kafka/` (node 1) or `kafka-n/`, listens on
// its port and runs its controller on the port after it; every node votes in the controller quorum.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minInsyncReplicas } from '../../lib/infra/kafka';
import { kafkaNodes, type ServiceName, type StackSpec } from './spec';
import { kafkaLib, run } from './tools';

/**
 * A broker's settings. With three nodes every internal topic has three replicas and a write needs two
 * (min.insync.replicas), so one node may die without losing an acknowledged write; no out-of-sync
 * replica is ever made leader (unclean.leader.election.enable=false, the default, said out loud). A
 * killed node is fenced, and its partitions get new leaders, once it has missed heartbeats for
 * broker.session.timeout.ms: 4 s here instead of 9 s, so a leader election after a kill takes ~4 s.
 */
export function kafkaNodeProperties(spec: StackSpec, svc: ServiceName, dataDir: string): string[] {
  const nodes = kafkaNodes(spec);
  const me = nodes.find((n) => n.svc === svc);
  if (!me) throw new Error(`${svc} is not a Kafka node of this stack (${nodes.length} brokers)`);
  const replicas = nodes.length;
  const minIsr = minInsyncReplicas(replicas);
  return [
    'process.roles=broker,controller',
    `node.id=${me.id}`,
    `controller.quorum.voters=${nodes.map((n) => `${n.id}@127.0.0.1:${n.port + 1}`).join(',')}`,
    `listeners=PLAINTEXT://127.0.0.1:${me.port},CONTROLLER://127.0.0.1:${me.port + 1}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${me.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=6',
    'auto.create.topics.enable=false',
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minIsr}`,
    'unclean.leader.election.enable=false',
    `offsets.topic.replication.factor=${replicas}`,
    'offsets.topic.num.partitions=6',
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minIsr}`,
    'transaction.state.log.num.partitions=6',
    'group.initial.rebalance.delay.ms=0',
    ...(replicas > 1 ? ['broker.heartbeat.interval.ms=500', 'broker.session.timeout.ms=4000'] : []),
    '',
  ];
}

/** A Kafka node's folder: `kafka/` for node 1 (the single node's, unchanged), `kafka-n/` for the others. */
const nodeDir = (spec: StackSpec, svc: ServiceName) => join(spec.dir, svc);

/** Every node of one stack is formatted with the same cluster id, made once and kept in the stack folder. */
function clusterId(spec: StackSpec): string {
  const file = join(spec.dir, 'kafka-cluster-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
  writeFileSync(file, `${id}\n`);
  return id;
}

/** The java command line of one Kafka node; formats its storage on the first start. */
export function kafkaNodeArgs(spec: StackSpec, svc: ServiceName): string[] {
  const base = nodeDir(spec, svc);
  const data = join(base, 'data');
  mkdirSync(data, { recursive: true });
  const props = join(base, 'server.properties');
  writeFileSync(props, kafkaNodeProperties(spec, svc, data).join('\n'));
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
  // Three brokers share the machine with everything else: a smaller heap each.
  const heap = kafkaNodes(spec).length > 1 ? '-Xmx512m' : '-Xmx768m';
  const jvm = [
    '-Xms256m',
    heap,
    '-XX:+UseG1GC',
    `-Dlog4j.configuration=file:${log4j}`,
    '-cp',
    `${kafkaLib}/*`,
  ];
  if (!existsSync(join(data, 'meta.properties'))) {
    // Format the KRaft storage once; a restart keeps the cluster id and every topic.
    const r = run('java', [
      ...jvm,
      'kafka.tools.StorageTool',
      'format',
      `--cluster-id=${clusterId(spec)}`,
      '-c',
      props,
    ]);
    if (!r.ok) throw new Error(`formatting Kafka storage of ${svc} failed:\n${r.out}`);
  }
  return [...jvm, 'kafka.Kafka', props];
}
