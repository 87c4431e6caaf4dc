import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Keys whose values must never reach a log line. */
const REDACT = ['secretKey', '*.secretKey', 'privateKey', '*.privateKey', 'token', '*.token', 'authorization', '*.authorization'];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Write to this fd/stream; defaults to stderr so stdout stays for command output. */
  destination?: number;
}

/** The root logger; every module takes a child: `root.child({ module: 'rpc' })`. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    { level: opts.level ?? 'info', redact: { paths: REDACT, censor: '[redacted]' }, base: undefined },
    pino.destination({ dest: opts.destination ?? 2, sync: false }),
  );
}

/** A logger that drops everything, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
