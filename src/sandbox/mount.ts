import type { FastifyInstance } from 'fastify';
import type { SandboxOptions } from './options.ts';
import { sandboxPlugin } from './plugin.ts';
import type { Sandbox } from './sandbox.ts';
import { createSandbox } from './sandbox.ts';

/** A sandbox served by the gateway; `connect` points its webhooks at the gateway once it listens. */
export interface MountedSandbox extends Sandbox {
  /** Path prefix it is served under (`/sandbox`). */
  readonly prefix: string;
  /**
   * Sets the webhook URL (the gateway's `/webhooks/whatsapp`) and, unless configured, the sandbox's
   * public base URL on the same origin.
   */
  connect(webhookUrl: string): void;
}

/**
 * Creates a sandbox and serves it on the gateway's Fastify instance under `prefix` (default
 * `/sandbox`): the Graph base URL is then `<origin>/sandbox/graph` and the phone page `/sandbox`.
 * Used by the gateway when no WhatsApp credentials are configured.
 */
export async function mountSandbox(
  app: FastifyInstance,
  opts: SandboxOptions & { prefix?: string },
): Promise<MountedSandbox> {
  const { prefix = '/sandbox', ...options } = opts;
  const sandbox = createSandbox(options);
  await app.register(sandboxPlugin, { prefix, sandbox });
  return Object.assign(sandbox, {
    prefix,
    connect(webhookUrl: string): void {
      sandbox.configure({ webhookUrl });
      if (!options.publicUrl) sandbox.setPublicUrl(new URL(webhookUrl).origin + prefix);
    },
  });
}
