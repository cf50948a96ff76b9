/**
 * One catalog of error codes a user can see (API bodies, CLI output, logs).
 * Each error carries a stable code, an HTTP status and, where it comes from input,
 * the field, the value and what would be accepted.
 */
export const ErrorCodes = {
  CONFIG_INVALID: { status: 500, message: 'configuration is invalid' },
  VALIDATION: { status: 400, message: 'request is invalid' },
  NOT_FOUND: { status: 404, message: 'not found' },
  CONFLICT: { status: 409, message: 'conflicts with an existing record' },
  UNAUTHORIZED: { status: 401, message: 'missing or invalid API key' },
  FORBIDDEN: { status: 403, message: 'not allowed' },
  DNC: { status: 409, message: 'number is on the Do-Not-Call list' },
  TEMPLATE: { status: 400, message: 'template error' },
  ACTION_FAILED: { status: 502, message: 'action failed' },
  PRECONDITION: { status: 409, message: 'precondition not met' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
  INTERNAL: { status: 500, message: 'internal error' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** One problem with one input field. */
export interface FieldIssue {
  /** Dotted path of the field (`api.port`, `body.phone`, `row 3: phone`). */
  field: string;
  /** The offending value, already redacted where it is PII. */
  value?: unknown;
  /** What would be accepted. */
  expected: string;
}

export class CallwrightError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly issues: FieldIssue[];

  constructor(code: ErrorCode, message?: string, issues: FieldIssue[] = [], options?: { cause?: unknown }) {
    super(message ?? ErrorCodes[code].message, options);
    this.name = 'CallwrightError';
    this.code = code;
    this.status = ErrorCodes[code].status;
    this.issues = issues;
  }

  toJSON(): { code: ErrorCode; message: string; issues?: FieldIssue[] } {
    return this.issues.length > 0
      ? { code: this.code, message: this.message, issues: this.issues }
      : { code: this.code, message: this.message };
  }
}

export function notFound(what: string, id: string | number): CallwrightError {
  return new CallwrightError('NOT_FOUND', `${what} ${JSON.stringify(id)} not found`);
}

/** Renders issues as lines a person reads: `api.port: got "x", expected an integer 1-65535`. */
export function describeIssues(issues: FieldIssue[]): string {
  return issues
    .map(
      (i) =>
        `${i.field}: ${i.value === undefined ? 'missing' : `got ${JSON.stringify(i.value)}`}, expected ${i.expected}`,
    )
    .join('\n');
}

/**
 * A failure an action (or an integration it calls) reports on purpose; `retryable: false` skips the
 * remaining retries. Lives here, below both actions and integrations, so adapters need not import actions.
 */
export class ActionError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = true,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ActionError';
  }
}
