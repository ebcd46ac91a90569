import net from 'node:net';
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';

/**
 * Blob downloads (`GET /v2/<name>/blobs/<digest>`), the one stream of the forward step that
 * runs for gigabytes, sent to the registry over crgate's own connections instead of Node's
 * HTTP client. That client allocates a buffer for every socket read and copies each piece of
 * a body into a second one (its parser's on_body); at a gigabyte a second those allocations
 * made V8 collect garbage every few milliseconds, and once its new space had grown (after
 * some 15 GiB here) run a full mark-compact every 40 ms: blob pulls through a crgate that had
 * been up a while cost 2.8 CPU seconds a GiB against 1.4 for a fresh one. Here socket reads
 * land in large buffers that crgate keeps (net.Socket's `onread`), each read goes to the
 * client as it is, and its buffer is read into again once the client's socket has taken it.
 *
 * The request goes out as HTTP/1.0 with `Connection: keep-alive`, as nginx sends its upstream
 * requests by default: the registry then frames every answer by Content-Length (and keeps the
 * connection) or by closing the connection, never in chunks, so no chunked decoder is needed.
 */
export interface BlobDownloadOptions {
  /** An `http:` registry; crgate's own TLS to the registry stays with Node's client. */
  readonly registryUrl: URL;
  /** Registry silence, in ms, before the download fails. */
  readonly timeoutMs: number;
  /** The size of each read buffer. */
  readonly bufferBytes: number;
}

/** What the forward step does with the registry's answer. */
export interface DownloadSteps {
  /** Rewrites the answer's headers (lower-cased names) before the client hears them. */
  readonly rewrite: (headers: IncomingHttpHeaders) => void;
  /** The registry could not be reached or broke off: a 503 before the answer, else a cut. */
  readonly fail: (error: Error) => void;
}

export interface BlobDownloads {
  /** Sends `req` (a GET without a body) with `extraHeaders`, and streams the answer to `res`. */
  get(
    req: IncomingMessage,
    res: ServerResponse,
    extraHeaders: Readonly<Record<string, string>>,
    steps: DownloadSteps,
  ): void;
  close(): void;
}

export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  /** Lower-cased names, as on Node's IncomingMessage, which the rewrite steps expect. */
  readonly headers: IncomingHttpHeaders;
  /** Each lower-cased name as the registry spelled it, so clients see the registry's case. */
  readonly names: ReadonlyMap<string, string>;
}

// Idle connections kept, as the forward step's agent keeps them; each holds one read buffer.
const MAX_IDLE_CONNECTIONS = 16;
// Read buffers kept for reuse beyond those connections hold; the rest are left to the GC.
const MAX_SPARE_BUFFERS = 8;
// Go's net/http refuses request heads past 1 MB; a registry's answer heads are a few hundred bytes.
const MAX_HEAD_BYTES = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
// RFC 9112, section 4 (status line) and section 5 (field lines; obs-fold is refused).
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: ([^\r\n]*))?$/;
const FIELD_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

/** An answer from the registry that is not HTTP as crgate sent for it. */
export class RegistryProtocolError extends Error {
  readonly code = 'EPROTO';
}

function connectionError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Parses a response head (status line and field lines, without the blank line). */
export function parseResponseHead(text: string): ResponseHead {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const status = STATUS_LINE.exec(statusLine);
  if (!status) throw new RegistryProtocolError(`bad status line: ${statusLine.slice(0, 80)}`);

  const headers: IncomingHttpHeaders = {};
  const names = new Map<string, string>();
  for (const line of lines) {
    const field = FIELD_LINE.exec(line);
    if (!field) throw new RegistryProtocolError(`bad header line: ${line.slice(0, 80)}`);
    const [, name = '', value = ''] = field;
    const lower = name.toLowerCase();
    if (!names.has(lower)) names.set(lower, name);
    const previous = headers[lower];
    if (lower === 'set-cookie') headers[lower] = [...(headers[lower] ?? []), value];
    else headers[lower] = previous === undefined ? value : `${String(previous)}, ${value}`;
  }
  return { status: Number(status[1]), reason: status[2] ?? '', headers, names };
}

/**
 * How many body bytes follow the head: a number, or Infinity for a body that ends when the
 * registry closes the connection (RFC 9112, section 6.3). Chunked framing is refused: an
 * HTTP/1.0 request must not get it.
 */
export function bodyLength(head: ResponseHead): number {
  if (head.status === 204 || head.status === 304 || head.status < 200) return 0;
  if (head.headers['transfer-encoding'] !== undefined) {
    throw new RegistryProtocolError('Transfer-Encoding in an answer to HTTP/1.0');
  }
  const length = head.headers['content-length'];
  if (length === undefined) return Infinity;
  if (!/^\d{1,15}$/.test(length)) throw new RegistryProtocolError(`Content-Length ${length}`);
  return Number(length);
}

/** Whether the registry keeps the connection open after an answer to HTTP/1.0. */
function keepsAlive(head: ResponseHead): boolean {
  const tokens = (head.headers.connection ?? '').toLowerCase().split(',');
  return tokens.some((token) => token.trim() === 'keep-alive');
}

function requestHead(req: IncomingMessage, extraHeaders: Readonly<Record<string, string>>) {
  const lines = [`GET ${req.url ?? '/'} HTTP/1.0`];
  const replaced = new Set(Object.keys(extraHeaders).map((name) => name.toLowerCase()));
  replaced.add('connection');
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || replaced.has(name)) continue;
    for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${one}`);
  }
  for (const [name, value] of Object.entries(extraHeaders)) lines.push(`${name}: ${value}`);
  lines.push('Connection: keep-alive', '', '');
  return lines.join('\r\n');
}

function outgoingHeaders(head: ResponseHead): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(head.headers)) {
    // The rewrite steps blank the headers they drop; writeHead refuses blank values.
    if (value !== undefined) headers[head.names.get(name) ?? name] = value;
  }
  return headers;
}

/** Read buffers: taken for a socket's next read, given back once the client has the bytes. */
class ReadBuffers {
  private readonly spare: Buffer[] = [];

  constructor(private readonly bytes: number) {}

  take(): Buffer {
    // Not from Node's shared pool: each buffer is the whole of its own memory.
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(this.bytes);
  }

  give(buffer: Buffer): void {
    if (this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(buffer);
  }
}

/** What a connection reports to the download it carries. */
interface Exchange {
  received(view: Buffer, buffer: Buffer): boolean;
  ended(): void;
  timedOut(): void;
  failed(error: Error): void;
}

/** One kept-alive connection to the registry, carrying one download at a time. */
class RegistryConnection {
  readonly socket: net.Socket;
  exchange: Exchange | undefined;

  constructor(url: URL, buffers: ReadBuffers, onClose: (connection: RegistryConnection) => void) {
    this.socket = net.connect({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port || 80),
      onread: {
        buffer: () => buffers.take(),
        callback: (bytes, buffer) => this.received(bytes, buffer as Buffer, buffers),
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on('error', (error) => this.exchange?.failed(error));
    this.socket.on('end', () => this.exchange?.ended());
    this.socket.on('timeout', () => this.exchange?.timedOut());
    this.socket.on('close', () => {
      this.exchange?.failed(connectionError('ECONNRESET', 'the registry closed the connection'));
      onClose(this);
    });
  }

  private received(bytes: number, buffer: Buffer, buffers: ReadBuffers): boolean {
    if (this.exchange) return this.exchange.received(buffer.subarray(0, bytes), buffer);
    // Bytes on an idle connection answer nothing crgate asked: it is no longer usable.
    buffers.give(buffer);
    this.socket.destroy();
    return false;
  }
}

/** One blob download: the request sent, the answer's head read, its body streamed on. */
class Download implements Exchange {
  /** The start of the answer's head, when it came in more than one read. */
  private pending = Buffer.alloc(0);
  private responded = false;
  private remaining = 0;
  private reusable = false;
  private started = false;
  /** Whether reading stopped until the client's socket has room again. */
  private heldBack = false;
  private done = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly steps: DownloadSteps,
    private readonly buffers: ReadBuffers,
    private readonly connection: RegistryConnection,
    private readonly timeoutMs: number,
    private readonly settle: (reusable: boolean) => void,
    private readonly retry: (() => void) | undefined,
  ) {}

  received(view: Buffer, buffer: Buffer): boolean {
    this.started = true;
    if (this.res.destroyed) {
      this.abandon();
      return false;
    }
    if (this.responded) return this.forwardBody(view, buffer);
    try {
      return this.readHead(view, buffer);
    } catch (error) {
      this.buffers.give(buffer);
      this.failed(error as Error);
      return false;
    }
  }

  /** The registry closed its side: the end of a body framed by the close, or a cut. */
  ended(): void {
    if (this.done) return;
    if (this.responded && this.remaining === Infinity) return this.finish(false);
    this.failed(connectionError('ECONNRESET', 'the registry closed the connection mid-answer'));
  }

  /**
   * Nothing moved for the time limit: the registry is silent, or, while crgate holds it back,
   * the client has stopped reading; that one is no failure of the registry's, only a cut.
   */
  timedOut(): void {
    if (!this.heldBack) {
      this.failed(connectionError('ETIMEDOUT', 'the registry did not answer in time'));
      return;
    }
    this.abandon();
    this.res.destroy();
  }

  failed(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.connection.socket.destroy();
    // A kept-alive connection the registry closed while it lay idle fails before an answer comes;
    // a GET is safe to send again, once, on a new one.
    if (!this.started && this.retry) return this.retry();
    this.settle(false);
    this.steps.fail(error);
  }

  /** The client went away: the rest of the answer is not read, so the connection goes. */
  abandon(): void {
    if (this.done) return;
    this.done = true;
    this.connection.socket.destroy();
    this.settle(false);
  }

  private readHead(view: Buffer, buffer: Buffer): boolean {
    // Most heads arrive whole in the first read: then nothing is copied.
    const before = this.pending.length;
    const whole = before === 0 ? view : Buffer.concat([this.pending, view]);
    const end = whole.indexOf(HEAD_END, Math.max(0, before - HEAD_END.length + 1));
    if (end < 0) {
      if (whole.length > MAX_HEAD_BYTES) throw new RegistryProtocolError('answer head too large');
      this.pending = Buffer.from(whole);
      this.buffers.give(buffer);
      return true;
    }

    const head = parseResponseHead(whole.subarray(0, end).toString('latin1'));
    this.remaining = bodyLength(head);
    this.reusable = this.remaining !== Infinity && keepsAlive(head);
    this.steps.rewrite(head.headers);
    this.res.writeHead(head.status, head.reason || undefined, outgoingHeaders(head));
    this.responded = true;

    const body = view.subarray(end + HEAD_END.length - before);
    if (this.remaining === 0) {
      this.buffers.give(buffer);
      this.finish(this.reusable && body.length === 0);
      return true;
    }
    if (body.length === 0) {
      this.buffers.give(buffer);
      return true;
    }
    return this.forwardBody(body, buffer);
  }

  /**
   * Passes body bytes on; false (stop reading) until the client's socket has room again. While
   * crgate holds the registry back, the registry's silence is crgate's doing: each write the
   * client's socket takes restarts the time limit, so a slow client is served to the end and
   * one that stops reading altogether is let go after the same time.
   */
  private forwardBody(view: Buffer, buffer: Buffer): boolean {
    if (this.done) return false;
    const extra = view.length > this.remaining;
    const part = extra ? view.subarray(0, this.remaining) : view;
    this.remaining -= part.length;
    const more = this.res.write(part, () => {
      this.buffers.give(buffer);
      if (!this.done) this.connection.socket.setTimeout(this.timeoutMs);
    });
    if (this.remaining === 0) {
      this.finish(this.reusable && !extra);
      return true;
    }
    if (more) return true;
    this.heldBack = true;
    this.res.once('drain', () => {
      this.heldBack = false;
      this.connection.socket.resume();
    });
    return false;
  }

  private finish(reusable: boolean): void {
    this.done = true;
    this.res.end();
    this.settle(reusable);
  }
}

export function createBlobDownloads(options: BlobDownloadOptions): BlobDownloads {
  const buffers = new ReadBuffers(options.bufferBytes);
  const idle: RegistryConnection[] = [];
  let closed = false;

  const forget = (connection: RegistryConnection) => {
    const at = idle.indexOf(connection);
    if (at >= 0) idle.splice(at, 1);
  };

  /** Back to the idle list (newest first out, as the agent's `lifo`), or closed. */
  function release(connection: RegistryConnection, reusable: boolean): void {
    connection.exchange = undefined;
    if (!reusable || closed || idle.length >= MAX_IDLE_CONNECTIONS) {
      connection.socket.destroy();
      return;
    }
    connection.socket.setTimeout(0);
    // An idle connection keeps neither the process nor a drain waiting.
    connection.socket.unref();
    idle.push(connection);
  }

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    extraHeaders: Readonly<Record<string, string>>,
    steps: DownloadSteps,
    retried: boolean,
  ): void {
    // A kept connection may have been closed by the registry as it lay idle; a retry takes a
    // new one, since the others kept may be as stale.
    const kept = retried ? undefined : idle.pop();
    const connection = kept ?? new RegistryConnection(options.registryUrl, buffers, forget);
    const retry = kept ? () => send(req, res, extraHeaders, steps, true) : undefined;
    const download = new Download(
      res,
      steps,
      buffers,
      connection,
      options.timeoutMs,
      (reusable) => release(connection, reusable),
      retry,
    );
    connection.exchange = download;
    connection.socket.ref();
    connection.socket.setTimeout(options.timeoutMs);
    connection.socket.resume();
    res.once('close', () => download.abandon());
    connection.socket.write(requestHead(req, extraHeaders));
  }

  return {
    get(req, res, extraHeaders, steps) {
      send(req, res, extraHeaders, steps, false);
    },
    close() {
      closed = true;
      for (const connection of idle.splice(0)) connection.socket.destroy();
    },
  };
}
