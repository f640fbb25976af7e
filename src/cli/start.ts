import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { Gateway } from '../gateway.ts';

/** `passerelle start`: serves the gateway until SIGTERM/SIGINT, then shuts down gracefully. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Start the gateway (sandbox WhatsApp when no WhatsApp credentials are set)')
    .option('-p, --port <port>', 'HTTP port (overrides PORT)')
    .action(async (opts: { port?: string }) => {
      const globals = program.opts<{ config?: string }>();
      const config = loadConfig({
        ...(globals.config ? { file: globals.config } : {}),
        overrides: opts.port !== undefined ? { PORT: opts.port } : {},
      });
      const gw = await Gateway.create({ config });
      const url = await gw.start();
      printBanner(gw, url);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (sig: string) => {
          if (stopping) {
            gw.logger.warn({ signal: sig }, 'second signal: exiting now');
            process.exit(1);
          }
          stopping = true;
          gw.logger.info({ signal: sig }, 'shutting down');
          gw.stop()
            .then(resolve)
            .catch((err: unknown) => {
              gw.logger.error({ err }, 'shutdown failed');
              process.exitCode = 1;
              resolve();
            });
        };
        process.once('SIGTERM', () => onSignal('SIGTERM'));
        process.once('SIGINT', () => onSignal('SIGINT'));
      });
    });
}

function printBanner(gw: Gateway, url: string): void {
  const lines = [
    '',
    `Passerelle is running at ${url}`,
    `  health     ${url}/healthz`,
    `  metrics    ${url}/metrics`,
    `  webhook    ${url}/webhooks/whatsapp`,
    `  web chat   ${url}/chat  (embed: <script src="${url}/widget.js"></script>)`,
    `  console    ${url}/console`,
    `  admin API  ${url}/api${gw.config.PASSERELLE_ADMIN_TOKEN ? '' : '  (disabled: set PASSERELLE_ADMIN_TOKEN)'}`,
    `  policy     ${gw.config.PASSERELLE_POLICY ?? 'the shipped rules (docs/policy.md)'}`,
  ];
  if (gw.config.whatsappMode === 'sandbox') {
    lines.push(
      '',
      'No WhatsApp credentials are set, so the sandbox (a local WhatsApp Cloud API emulator) is wired in.',
      `  Open the sandbox phone and chat with the assistant:  ${url}/sandbox`,
      '  Set WHATSAPP_VERIFY_TOKEN, WHATSAPP_APP_SECRET, WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID',
      '  to talk to Meta instead.',
    );
  } else {
    lines.push('', `WhatsApp Cloud API: ${gw.config.WHATSAPP_GRAPH_URL} (${gw.config.WHATSAPP_API_VERSION})`);
  }
  const setup = gw.console.setupToken();
  if (setup)
    lines.push(
      '',
      'No console operator exists yet. Create the first admin (this link works until one exists):',
      `  ${url}/console/setup?token=${setup}`,
    );
  console.log(lines.join('\n') + '\n');
}
