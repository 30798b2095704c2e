/**
 * HTTP/1.1 over a raw TCP socket, for requests no HTTP client would send (malformed targets,
 * CONNECT, header junk): sends the bytes as given, reads until the server closes, and parses the
 * answer strictly, so a test can tell a well-formed response from garbage, a dropped connection
 * or a hang.
 */
import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Lower-cased names; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Sends `request` and resolves with everything the server wrote before closing. */
export function sendRaw(port: number, request: string | Buffer, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no end of the answer within ${timeoutMs} ms; got ${JSON.stringify(String(Buffer.concat(chunks)))}`,
        ),
      );
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset after the answer (the server closing with our unread bytes) still ends the exchange.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.write(request);
  });
}

const STATUS_LINE = /^HTTP\/1\.[01] ([1-5]\d\d) [\t -~]*$/;
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*([\t -~]*?)[\t ]*$/;

/**
 * The final response in `bytes` (1xx interim responses skipped); throws when they are not one
 * well-formed HTTP/1.x response: a bad status or header line, a body shorter or longer than its
 * Content-Length, bad chunking, or nothing at all.
 */
export function parseResponse(bytes: Buffer, method = 'GET'): RawResponse {
  let rest = bytes.toString('latin1');
  for (;;) {
    if (rest.length === 0) throw new Error('the server closed the connection without an answer');
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`no end of the header section in ${JSON.stringify(rest.slice(0, 200))}`);
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    rest = rest.slice(end + 4);
    const status = STATUS_LINE.exec(statusLine)?.[1];
    if (status === undefined) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const header = HEADER_LINE.exec(line);
      if (header === null) throw new Error(`bad header line ${JSON.stringify(line)}`);
      headers[(header[1] as string).toLowerCase()] = header[2] as string;
    }
    const code = Number(status);
    if (code < 200) continue;
    return { status: code, headers, body: readBody(rest, headers, method, code) };
  }
}

function readBody(rest: string, headers: Record<string, string>, method: string, status: number): string {
  if (method === 'HEAD' || status === 204 || status === 304) {
    if (rest !== '') throw new Error(`${rest.length} bytes after a response without a body`);
    return '';
  }
  if (headers['transfer-encoding'] !== undefined) {
    if (headers['transfer-encoding'].toLowerCase() !== 'chunked')
      throw new Error(`unexpected Transfer-Encoding ${headers['transfer-encoding']}`);
    let body = '';
    for (;;) {
      const eol = rest.indexOf('\r\n');
      const size = Number.parseInt(rest.slice(0, eol), 16);
      if (eol < 0 || Number.isNaN(size)) throw new Error('bad chunk size line');
      if (size === 0) return body;
      body += rest.slice(eol + 2, eol + 2 + size);
      if (rest.slice(eol + 2 + size, eol + 4 + size) !== '\r\n') throw new Error('bad chunk end');
      rest = rest.slice(eol + 4 + size);
    }
  }
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (!Number.isInteger(length) || length < 0)
      throw new Error(`bad Content-Length ${headers['content-length']}`);
    if (Buffer.byteLength(rest, 'latin1') !== length)
      throw new Error(`Content-Length ${length} but ${Buffer.byteLength(rest, 'latin1')} body bytes`);
    return Buffer.from(rest, 'latin1').toString('utf8');
  }
  // Delimited by the close.
  return Buffer.from(rest, 'latin1').toString('utf8');
}

/** One request over a fresh connection, parsed. */
export async function rawRequest(
  port: number,
  requestLine: string,
  headers: readonly string[] = ['Host: agent'],
): Promise<RawResponse> {
  const method = requestLine.split(' ')[0] ?? 'GET';
  const text = `${requestLine}\r\n${[...headers, 'Connection: close'].map((h) => `${h}\r\n`).join('')}\r\n`;
  return parseResponse(await sendRaw(port, text), method);
}
