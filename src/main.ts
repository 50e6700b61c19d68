// Entry point: chihaya v1's command line (-config, -v, ...), config loading, signals.
import { FlagError, parseFlags, usageText } from './cli/flags.js';
import { defaultConfig, type Config } from './config/config.js';
import { ConfigError, loadConfigFile } from './config/load.js';
import { Log } from './util/log.js';
import { Tracker } from './tracker.js';

async function main(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`hayate: ${err.message}\n${usageText()}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(usageText());
    return 0;
  }
  const log = new Log(flags.v);
  let config: Config = { ...defaultConfig, clientWhitelist: [...defaultConfig.clientWhitelist] };
  if (flags.config !== '') {
    try {
      const loaded = loadConfigFile(flags.config);
      config = loaded.config;
      for (const w of loaded.warnings) log.info(w);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`hayate: ${err.message}\n`);
      return 1;
    }
  }
  for (const name of flags.ignored) log.info(`flag -${name} is accepted for compatibility and has no effect`);

  let tracker: Tracker | undefined;
  // uWS aborts the process if it exits while an I/O thread has sockets open: close them first.
  const onFatal = (err: Error): void => {
    log.info(`fatal: ${err.message}`);
    const exit = (): never => process.exit(70);
    if (tracker === undefined) exit();
    else void tracker.stopNow().finally(exit);
  };
  try {
    tracker = await Tracker.start(config, log, { onFatal });
  } catch (err) {
    process.stderr.write(`hayate: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const p = tracker.ports;
  log.info(`hayate listening: http ${p.http ?? 'off'}, ${p.https === null ? '' : `https ${p.https}, `}udp ${p.udp ?? 'off'}, api ${p.api ?? 'off'}` +
    ` (io threads ${tracker.io.count}, workers ${config.workers}, shards ${tracker.settings.torrentMapShards}` +
    `${tracker.io.udpMode === '' ? '' : `; udp: ${tracker.io.udpMode}`})`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: shutting down (in-flight requests get up to ${config.httpRequestTimeoutMs} ms)`);
      tracker!.stop().then(() => resolve(0), (err: unknown) => {
        log.info(`shutdown error: ${String(err)}`);
        resolve(1);
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`hayate: fatal: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(70);
});
