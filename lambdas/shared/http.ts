/**
 * One HTTP exchange with a timeout, on Node's built-in fetch (undici keeps connections alive
 * by default, so a warm Lambda reuses its TLS connection to Certyo). Transport failures become
 * a `TransportError` whose `kind` tells a timeout from a dropped connection; both are retryable.
 */

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Covers connecting, sending and reading the whole response body. */
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export class TransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

export async function httpRequest(request: HttpRequest): Promise<HttpResponse> {
  const signal = AbortSignal.timeout(Math.max(1, request.timeoutMs));
  try {
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal });
    // Reading the body is inside the try: a server that hangs mid-body is a timeout too.
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    if (signal.aborted) throw new TransportError('timeout', `no complete response within ${request.timeoutMs} ms`);
    throw new TransportError('network', `connection failed (${describeCause(error)})`);
  }
}
