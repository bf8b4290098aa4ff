// The app's long-running processes: `npm start` runs exactly these, and so does docker-compose.yml.
// `node --import tsx` runs the TypeScript in one process (no wrapper), so a signal reaches the app itself.
export const APP_PROCESSES = {
  worker: 'workers/temporal-worker.ts',
  consumer: 'workers/price-consumer.ts',
  'order-events-consumer': 'workers/order-events-consumer.ts',
  api: 'api/server.ts',
} as const;

export type AppProcess = keyof typeof APP_PROCESSES;

/** The command line of a process, run from the project root. */
export const commandOf = (name: AppProcess): string[] => ['node', '--import', 'tsx', APP_PROCESSES[name]];
