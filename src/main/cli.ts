// PLACEHOLDER (skeleton): the config helper completes serve/check-config output and graceful shutdown.
import { loadConfig, createServer } from './server'

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'serve'
  const loaded = loadConfig()
  if (command === 'check-config') {
    console.log(loaded.problems.length === 0 ? 'Configuration OK' : JSON.stringify(loaded.problems, null, 2))
    process.exit(loaded.problems.length === 0 ? 0 : 1)
  }
  const server = await createServer(loaded.config)
  await server.listen()
  const stop = async () => {
    await server.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

void main()
