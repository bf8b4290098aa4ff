// Dead letters: a message a consumer can never use goes to its topic's dead-letter topic with the
// reason and where it came from in headers, in sends small enough for the broker, never dropped.
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { KafkaSender } from './kafka-sender';

export interface DeadLetter {
  message: KafkaMessage;
  reason: string;
  attempts: number;
}

const DLQ_MESSAGES_PER_SEND = 100;
const DLQ_TRUNCATE_BYTES = 64 * 1024;

function copyHeaders(headers: IHeaders | undefined): IHeaders {
  const out: IHeaders = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/** Sends `letters` from (topic, partition) to `dlqTopic`. */
export async function sendDeadLetters(
  sender: KafkaSender,
  dlqTopic: string,
  topic: string,
  partition: number,
  letters: readonly DeadLetter[],
): Promise<void> {
  const toMessage = (l: DeadLetter, truncate: boolean) => {
    const cut = truncate && (l.message.value?.length ?? 0) > DLQ_TRUNCATE_BYTES;
    return {
      key: l.message.key,
      value: cut ? l.message.value!.subarray(0, DLQ_TRUNCATE_BYTES) : l.message.value,
      headers: {
        ...copyHeaders(l.message.headers),
        'dlq-reason': l.reason,
        'dlq-attempts': String(l.attempts),
        'dlq-source-topic': topic,
        'dlq-source-partition': String(partition),
        'dlq-source-offset': l.message.offset,
        'dlq-failed-at': new Date().toISOString(),
        ...(cut ? { 'dlq-value-truncated-to': String(DLQ_TRUNCATE_BYTES) } : {}),
      },
    };
  };
  // Small sends: a whole chunk of dead letters would exceed the broker's request size limit.
  for (let i = 0; i < letters.length; i += DLQ_MESSAGES_PER_SEND) {
    const slice = letters.slice(i, i + DLQ_MESSAGES_PER_SEND);
    try {
      await sender.send(
        dlqTopic,
        slice.map((l) => toMessage(l, false)),
      );
    } catch (err) {
      if ((err as { type?: string }).type !== 'MESSAGE_TOO_LARGE') throw err;
      // A letter too big to send with its headers would otherwise block the partition forever:
      // keep its reason and the start of its value.
      for (const l of slice) await sender.send(dlqTopic, [toMessage(l, true)]);
    }
  }
}
