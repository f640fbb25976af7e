/**
 * The knowledge base, as the rest of the assistant sees it: loading (Markdown folder, JSON, YAML),
 * the entry shape and the bundled sample. See `kb/load.ts` and `kb/schema.ts`.
 */
export { KbError, loadKnowledgeBase, SAMPLE_KB } from './kb/load.ts';
export { answerIn, entryTitle, KbEntrySchema, type KbEntry, type KnowledgeBase } from './kb/schema.ts';
