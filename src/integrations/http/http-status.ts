/** 408 and 429 are worth retrying; other 4xx mean the request itself is wrong (RFC 9110 §15.5). */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Parses a JSON body, or undefined when it is not JSON. */
export function parseJsonBody(body: string): unknown {
  if (!body.trim()) return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
