// The app's long-running processes: `npm start` runs exactly these, and so does docker-compose.yml.
export const TSX = 'node_modules/.bin/tsx';

export const APP_PROCESSES = {
  worker: 'workers/temporal-worker.ts',
  consumer: 'workers/price-consumer.ts',
  api: 'api/server.ts',
} as const;

export type AppProcess = keyof typeof APP_PROCESSES;

/** The command line of a process, relative to the project root. */
export const commandOf = (name: AppProcess): string[] => [TSX, APP_PROCESSES[name]];
