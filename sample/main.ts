/**
 * The sample application. `npm start` runs a short timed demo and exits;
 * `npm run start:serve` (or `--serve`) keeps paying orders until Ctrl-C.
 */
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { DemoScenario } from './demo.scenario.js';

async function main(): Promise<void> {
  const serve = process.argv.includes('--serve');
  const logger = new Logger('Main');
  // No HTTP server: the sample only needs the application context and its lifecycle.
  const app = await NestFactory.createApplicationContext(AppModule);
  app.enableShutdownHooks();

  if (serve) {
    app.get(DemoScenario).serve();
    logger.log('Serving: a payment every 2 s. Press Ctrl-C to stop.');
    return;
  }
  await app.get(DemoScenario).run();
  await app.close();
  logger.log('Demo finished');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
