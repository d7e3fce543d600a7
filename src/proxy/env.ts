/**
 * Environment lines that point each official SDK at the proxy:
 * - @anthropic-ai/sdk reads ANTHROPIC_BASE_URL (it appends /v1/messages);
 * - openai reads OPENAI_BASE_URL (it appends /chat/completions, /responses, /embeddings);
 * - @google/genai reads GOOGLE_GEMINI_BASE_URL (it appends /v1beta/models/...).
 */
export function envLines(base: string, project: string | null): string[] {
  const root = project ? `${base}/p/${encodeURIComponent(project)}` : base;
  return [
    `ANTHROPIC_BASE_URL=${root}/anthropic`,
    `OPENAI_BASE_URL=${root}/openai/v1`,
    `GOOGLE_GEMINI_BASE_URL=${root}/gemini`,
  ];
}
