/**
 * What out/server/server.cjs exports: the headless CLI (`npm run serve`) and the supervisor the desktop app
 * starts the server with, compiled together so both run the same code (scripts/build-server.mjs).
 */
export { runCli } from './cli'
export { createSupervisor } from './server/supervisor'
