import pino, { type Logger } from 'pino';

/**
 * Structured logs (JSON lines). Secrets never reach them: known secret-bearing paths are censored, and
 * request logging (URLs carry `hub.verify_token`) is off; routes log what matters themselves.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'passerelle' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-hub-signature-256"]',
          'headers.authorization',
          '*.accessToken',
          '*.appSecret',
          '*.verifyToken',
          '*.WHATSAPP_ACCESS_TOKEN',
          '*.WHATSAPP_APP_SECRET',
          '*.WHATSAPP_VERIFY_TOKEN',
          '*.PASSERELLE_ADMIN_TOKEN',
          '*.TELEGRAM_BOT_TOKEN',
          '*.LLM_API_KEY',
          'accessToken',
          'appSecret',
          'verifyToken',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
