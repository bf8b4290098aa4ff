// Consumer lag per topic and partition: the group's committed offset behind the end.
import { Gauge, Registry } from 'prom-client';
import type { Admin } from 'kafkajs';
import { raceDeadline } from '../deadline';

export interface LagWatch {
  groupId: string;
  topic: string;
}

/**
 * Consumer lag per (group, topic, partition), computed at scrape time: the topic's end offset minus
 * the group's committed offset (a partition the group never committed counts from its start). A group
 * that has committed nothing on the topic (not deployed yet) exports no series. Served by a process
 * other than the consumer (the worker), so a stopped consumer's lag keeps being measured. One admin
 * round trip per watch per scrape, bounded by `timeoutMs`; on failure the last values stay.
 */
export function registerConsumerLag(
  registry: Registry,
  admin: Pick<Admin, 'fetchOffsets' | 'fetchTopicOffsets'>,
  watches: readonly LagWatch[],
  timeoutMs = 2_000,
): Gauge<'group' | 'topic' | 'partition'> {
  return new Gauge({
    name: 'bourse_kafka_consumer_lag_messages',
    help: "Messages a consumer group's committed offset is behind the partition's end",
    labelNames: ['group', 'topic', 'partition'],
    registers: [registry],
    async collect() {
      for (const { groupId, topic } of watches) {
        try {
          const [ends, committed] = await raceDeadline(
            timeoutMs,
            () => new Error('lag lookup timed out'),
            () =>
              Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]),
          );
          const done = new Map(
            (committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)] as const),
          );
          if (![...done.values()].some((o) => o >= 0n)) continue;
          for (const p of ends) {
            const end = BigInt(p.high);
            const at = done.get(p.partition) ?? -1n;
            const start = BigInt(p.low);
            const from = at < 0n ? start : at;
            const lag = end > from ? end - from : 0n;
            this.set({ group: groupId, topic, partition: String(p.partition) }, Number(lag));
          }
        } catch {
          // The broker is away: keep the last values (the target itself stays up).
        }
      }
    },
  });
}
