/** An unreadable or invalid knowledge base. Each line names the file, the entry and the problem. */
export class KbError extends Error {
  override name = 'KbError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}
