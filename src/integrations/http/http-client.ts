/** The HTTP client integrations and actions share (`GuardedHttpClient` in production). */
export interface HttpClient {
  request(input: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    body?: string;
    timeoutMs?: number;
    signal?: AbortSignal;
  }): Promise<{ status: number; headers: Record<string, string>; body: string }>;
}
