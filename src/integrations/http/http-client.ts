import type { OutboundRequest, OutboundResponse } from './guarded-http-client.js';

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

/** The client integrations use (`GuardedHttpClient` in production; tests may pass a plainer one). */
export interface IntegrationHttp {
  request(input: OutboundRequest): Promise<OutboundResponse | Omit<OutboundResponse, 'bytes' | 'url'>>;
}
