import type { Catalog, ConsoleEvent, DecisionRow, FaultRequest, RaceRequest, SavedRun, StoredReport } from '../contract.js';

/** What the console answered instead of what was asked: its `{code, message}`, or the status alone. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(path, {
    method,
    // Every POST says JSON, with a body or without (stop): the console takes no other, as no form of another site can send it.
    headers: { ...(method === 'POST' ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await response.text();
  const json = text && response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const { code, message } = (json ?? {}) as { code?: string; message?: string };
    throw new ApiError(response.status, code ?? `HTTP_${response.status}`, message ?? `${method} ${path} answered ${response.status}`);
  }
  return json as T;
}

export const api = {
  catalog: () => call<Catalog>('GET', '/api/catalog'),
  /** Trades the token for the session cookie that every later request carries. */
  openSession: (token: string) => call<void>('POST', '/api/session', undefined, { authorization: `Bearer ${token}` }),
  race: (request: RaceRequest) => call<{ started: string }>('POST', '/api/races', request),
  faults: (request: FaultRequest) => call<{ started: string }>('POST', '/api/faults', request),
  stop: () => call<{ stopping: boolean }>('POST', '/api/stop'),
  runs: () => call<SavedRun[]>('GET', '/api/runs'),
  run: (id: string) => call<StoredReport>('GET', `/api/runs/${encodeURIComponent(id)}`),
  decision: () => call<DecisionRow[]>('GET', '/api/decision'),
};

export const reportUrl = (id: string): string => `/api/runs/${encodeURIComponent(id)}/report`;

/**
 * The console's live stream (Server-Sent Events): the latest run from its start, then each event as
 * it comes. The browser reconnects by itself and says where it left off.
 */
export function listen(onEvent: (event: ConsoleEvent) => void, onState: (connected: boolean) => void): EventSource {
  const source = new EventSource('/api/events');
  source.onmessage = (message: MessageEvent<string>) => onEvent(JSON.parse(message.data) as ConsoleEvent);
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  return source;
}
