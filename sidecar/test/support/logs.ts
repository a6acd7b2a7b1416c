// The sidecar's log lines (pino JSON) kept in memory, so a test can read what an operator would.

export interface CapturedLogs {
  /** a pino destination */
  stream: { write(line: string): void };
  lines(): Array<Record<string, unknown>>;
  text(): string;
}

export function captureLogs(): CapturedLogs {
  const raw: string[] = [];
  return {
    stream: { write: (line: string) => void raw.push(line) },
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => raw.join(''),
  };
}
