/** What a provider billed, one line per bill entry, as read from an export. Money in micro-USD. */
export interface BilledLine {
  /** line in the source file, for messages */
  readonly line: number;
  /** the period the amount covers: [start_ms, end_ms) (a call: its time, end = start + 1) */
  readonly start_ms: number;
  readonly end_ms: number;
  readonly provider: string;
  /** as the bill names it; '' when the bill names no model (e.g. an ungrouped cost report) */
  readonly model: string;
  /** project or workspace as the bill names it; '' when none */
  readonly project: string;
  /** what else tells two lines of one bucket apart (token type, service tier, line item...) */
  readonly item: string;
  /** per-call id (OpenRouter generation id) when the bill is call by call */
  readonly request_id: string | null;
  readonly cost_micros: number;
}

export const FORMATS = [
  'anthropic-cost-report',
  'anthropic-usage-report',
  'anthropic-console-csv',
  'openai-costs',
  'openai-usage',
  'openai-dashboard-csv',
  'openrouter-csv',
  'openrouter-json',
  'openrouter-activity',
  'generic-csv',
] as const;
export type FormatId = (typeof FORMATS)[number];

export interface ParsedBill {
  readonly format: FormatId;
  readonly lines: BilledLine[];
  /** provider x UTC day the bill speaks for, including days it shows as empty */
  readonly coverage: readonly { readonly provider: string; readonly day: number }[];
}
