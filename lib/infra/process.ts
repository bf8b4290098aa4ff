// The one way a bourse process starts and stops: fatal errors logged, SIGINT/SIGTERM drain then exit.
import { config, type Config } from './config';
import { createLogger, type Logger } from './logger';

export type Stop = () => Promise<void>;

/**
 * Runs a long-lived process. `main` starts it and returns how to stop it gracefully; on SIGTERM or
 * SIGINT that is awaited (bounded by SHUTDOWN_GRACE) and the process exits 0.
 */
export function runProcess(name: string, main: (cfg: Config, log: Logger) => Promise<Stop>): void {
  const cfg = config();
  const log = createLogger(name, cfg.LOG_LEVEL);
  let stop: Stop | undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const timer = setTimeout(() => {
      log.error('graceful shutdown timed out', { graceMs: cfg.SHUTDOWN_GRACE });
      process.exit(1);
    }, cfg.SHUTDOWN_GRACE);
    timer.unref();
    (stop ? stop() : Promise.resolve()).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  main(cfg, log).then(
    (s) => {
      stop = s;
      log.info('started');
    },
    (err: unknown) => {
      log.error('failed to start', { err, stack: (err as Error)?.stack });
      process.exit(1);
    },
  );
}
