// Requests Node's HTTP parser refuses before Express sees them (bare CR or LF, folded or NUL-bearing
// headers, Content-Length with Transfer-Encoding, headers over the 16 kB limit, a request that took
// too long to arrive): answered as application/problem+json like every other error, then closed.

import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE, problem } from './problem.js';

const ANSWERS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers-too-large', 'The request headers are larger than the server accepts'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request-timeout', 'The request did not arrive completely in time'],
};
const MALFORMED: [number, string, string] = [400, 'malformed-request', 'The request is not valid HTTP/1.1'];

export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // nothing to answer on a connection the client already dropped
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, type, detail] = ANSWERS[err.code ?? ''] ?? MALFORMED;
  const body = JSON.stringify(problem(status, type, detail));
  socket.end(
    `HTTP/1.1 ${status} ${problem(status, type, detail).title}\r\n` +
      `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
