/**
 * The attribute names that make a span a model call, in order of preference (first present wins).
 *
 * Three vocabularies are read:
 * - tape's own `llm.*` (llm.model, llm.provider, llm.project, llm.input_tokens, llm.output_tokens,
 *   llm.cached_tokens, llm.cache_write_tokens, llm.cache_write_1h_tokens, llm.request_id, llm.status);
 * - the OpenTelemetry GenAI semantic conventions, current and deprecated names (gen_ai.provider.name,
 *   formerly gen_ai.system; gen_ai.usage.input_tokens, formerly prompt_tokens; the cache-read and
 *   cache-creation counts, plus the interim underscore spellings still emitted by OpenLLMetry and Sentry);
 * - OpenInference's `llm.token_count.*` / `llm.model_name` (Arize/Phoenix instrumentations);
 * - on the Vercel AI SDK's doGenerate/doStream spans (which carry gen_ai.* names for the rest), its
 *   `ai.usage.*` cache, reasoning and total counts (v5 `cachedInputTokens`, v6 `inputTokenDetails.*`).
 *
 * What input_tokens means (tape's input_tok counts ALL input tokens, cached ones included):
 * - GenAI conventions: gen_ai.usage.input_tokens "SHOULD include all types of input tokens, including
 *   cached tokens", and cache_read / cache_creation counts "SHOULD be included in gen_ai.usage.input_tokens".
 * - OpenInference: prompt_details.cache_read / cache_write are a breakdown of llm.token_count.prompt.
 * - tape's llm.*: llm.input_tokens has the meaning of the input_tok column: all input, cached included.
 * So input is taken as including the cache counts. One safety net for instrumentations that copy a
 * provider's uncached count (Anthropic's `input_tokens` excludes cache reads and writes): when the cache
 * counts exceed the input count, input cannot include them, and they are added to it. The same holds
 * for reasoning tokens, which the conventions put inside output tokens (Gemini reports them apart).
 * A reported total (OpenLLMetry's llm.usage.total_tokens, OpenInference's llm.token_count.total) settles
 * the rest: when it is input + output + exactly the reasoning (or cache) count, that count was left out
 * and is added; for Gemini, whose candidatesTokenCount leaves thoughts out while totalTokenCount counts
 * them (OpenLLMetry and older OpenInference copy candidatesTokenCount as completion tokens), the
 * whole gap is output.
 */
export const KEYS = {
  model: ['llm.model', 'gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name'],
  provider: ['llm.provider', 'gen_ai.provider.name', 'gen_ai.system', 'llm.system'],
  input: ['llm.input_tokens', 'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt'],
  output: ['llm.output_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion'],
  cacheRead: [
    'llm.cached_tokens',
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
    'gen_ai.usage.input_tokens.cached',
    'gen_ai.usage.cached_tokens',
    'gen_ai.usage.input_cached_tokens',
    'llm.token_count.prompt_details.cache_read',
    'ai.usage.inputTokenDetails.cacheReadTokens',
    'ai.usage.cachedInputTokens',
  ],
  cacheWrite: [
    'llm.cache_write_tokens',
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
    'gen_ai.usage.input_tokens.cache_write',
    'llm.token_count.prompt_details.cache_write',
    'ai.usage.inputTokenDetails.cacheWriteTokens',
  ],
  cacheWrite1h: ['llm.cache_write_1h_tokens'],
  reasoning: [
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.output_tokens.reasoning',
    'gen_ai.usage.reasoning_tokens',
    'llm.usage.reasoning_tokens',
    'llm.token_count.completion_details.reasoning',
    'ai.usage.outputTokenDetails.reasoningTokens',
    'ai.usage.reasoningTokens',
  ],
  total: ['llm.usage.total_tokens', 'gen_ai.usage.total_tokens', 'llm.token_count.total', 'ai.usage.totalTokens'],
  requestId: ['llm.request_id', 'gen_ai.response.id'],
  project: ['llm.project'],
  httpStatus: ['llm.status', 'http.response.status_code', 'http.status_code'],
  errorType: ['error.type'],
  operation: ['gen_ai.operation.name'],
  openinferenceKind: ['openinference.span.kind'],
} as const;

/** Resource attributes read: project and host. */
export const RESOURCE_KEYS = {
  project: ['llm.project', 'tape.project'],
  service: ['service.name'],
  host: ['host.name'],
} as const;

const WANTED = new Set<string>([...Object.values(KEYS).flat(), ...Object.values(RESOURCE_KEYS).flat()]);

/** Attribute keys worth keeping while decoding (everything else is skipped at once). */
export function wantKey(key: string): boolean {
  return WANTED.has(key);
}

/**
 * GenAI operations that are not one model call: an agent invocation or a tool run reports the usage
 * of the model calls inside it (each with its own span), so counting it too would bill twice.
 */
export const NOT_A_CALL = new Set(['execute_tool', 'invoke_agent', 'create_agent']);

/** gen_ai.provider.name / gen_ai.system / llm.provider values to the provider names on the tape (genai-prices ids). */
const PROVIDERS: Record<string, string> = {
  anthropic: 'anthropic',
  openai: 'openai',
  'azure.ai.openai': 'azure',
  'az.ai.openai': 'azure',
  'azure.ai.inference': 'azure',
  'az.ai.inference': 'azure',
  azure: 'azure',
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  gemini: 'google',
  vertex_ai: 'google',
  vertexai: 'google',
  google: 'google',
  'aws.bedrock': 'aws',
  bedrock: 'aws',
  aws: 'aws',
  mistral_ai: 'mistral',
  mistralai: 'mistral',
  mistral: 'mistral',
  x_ai: 'x-ai',
  xai: 'x-ai',
  'x-ai': 'x-ai',
  'ibm.watsonx.ai': 'ibm',
  cohere: 'cohere',
  deepseek: 'deepseek',
  groq: 'groq',
  perplexity: 'perplexity',
  openrouter: 'openrouter',
};

/**
 * Vendor prefixes of the provider ids that SDK integrations put in gen_ai.system, e.g. the Vercel AI
 * SDK's "openai.chat", "anthropic.messages", "google.generative-ai", "amazon-bedrock".
 */
const FAMILIES: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'google',
  vertex: 'google',
  gemini: 'google',
  amazon: 'aws',
  bedrock: 'aws',
  azure: 'azure',
  mistral: 'mistral',
  xai: 'x-ai',
  groq: 'groq',
  deepseek: 'deepseek',
  cohere: 'cohere',
  perplexity: 'perplexity',
  openrouter: 'openrouter',
};

/** A provider name normalised; unknown names are kept (lowercased), so nothing is silently merged. */
export function normaliseProvider(raw: string): string {
  const k = raw.trim().toLowerCase();
  return PROVIDERS[k] ?? FAMILIES[k.split(/[.\-_/ ]/, 1)[0]!] ?? k;
}

/** When a span names no provider: a guess from the model family, else "unknown" (unpriced, visible). */
export function providerFromModel(model: string): string {
  const m = model.toLowerCase();
  if (m.startsWith('claude')) return 'anthropic';
  if (/^(gpt-|o\d|chatgpt|text-embedding|davinci|babbage)/.test(m)) return 'openai';
  if (m.startsWith('gemini') || m.startsWith('models/gemini')) return 'google';
  if (m.startsWith('mistral') || m.startsWith('codestral')) return 'mistral';
  if (m.startsWith('grok')) return 'x-ai';
  return 'unknown';
}

/** error.type values to HTTP statuses (3-digit values are taken as they are); anything else is 500. */
const ERROR_STATUS: Record<string, number> = {
  rate_limit_error: 429,
  ratelimiterror: 429,
  rate_limit_exceeded: 429,
  overloaded_error: 529,
  authentication_error: 401,
  authenticationerror: 401,
  permission_error: 403,
  permissiondeniederror: 403,
  not_found_error: 404,
  notfounderror: 404,
  invalid_request_error: 400,
  badrequesterror: 400,
  timeout: 504,
  apitimeouterror: 504,
  internalservererror: 500,
};

export function statusFromErrorType(raw: string): number {
  const t = raw.trim();
  if (/^[1-5]\d\d$/.test(t)) return Number(t);
  return ERROR_STATUS[t.toLowerCase()] ?? 500;
}
