/**
 * Logging goes through a small interface that Nest's `Logger` satisfies as is, so inside
 * a Nest app actor logs land in the application's logger with the actor path as context.
 */
export interface ActorLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
  debug(message: string): void;
}

/** Creates a logger for a context (an actor path or a component name). */
export type LoggerFactory = (context: string) => ActorLogger;

export type LogLevel = 'debug' | 'log' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 0, log: 1, warn: 2, error: 3, silent: 4 };

/** The default outside Nest: one line per entry on stderr/stdout, filtered by level. */
export function consoleLoggerFactory(level: LogLevel = 'log'): LoggerFactory {
  const min = RANK[level];
  return context => {
    const line = (lvl: string, message: string) => `${new Date().toISOString()} ${lvl} [${context}] ${message}`;
    return {
      debug: m => {
        if (min <= 0) console.debug(line('DEBUG', m));
      },
      log: m => {
        if (min <= 1) console.log(line('LOG', m));
      },
      warn: m => {
        if (min <= 2) console.warn(line('WARN', m));
      },
      error: (m, stack) => {
        if (min <= 3) console.error(line('ERROR', m) + (stack ? `\n${stack}` : ''));
      },
    };
  };
}

export const silentLogger: ActorLogger = { debug() {}, log() {}, warn() {}, error() {} };
