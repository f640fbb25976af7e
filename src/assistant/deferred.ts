import type { Assistant, AssistantReply, AssistantRequest } from './port.ts';

/**
 * An assistant that is still loading (the LLM stack is imported only when `LLM_*` is set: the AI SDK
 * and its providers cost ~40 MB of memory a gateway without a model should not pay). Calls wait for
 * it; `ready` rejects if it cannot be built, so start-up can fail with the reason.
 */
export class DeferredAssistant implements Assistant {
  constructor(readonly ready: Promise<Assistant>) {
    // Observed by whoever awaits `ready`; never an unhandled rejection here.
    ready.catch(() => undefined);
  }

  async reply(req: AssistantRequest): Promise<AssistantReply[]> {
    return (await this.ready).reply(req);
  }
}
