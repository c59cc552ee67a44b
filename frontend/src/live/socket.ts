/**
 * The live connection (`/api/v1/ws`, protocol in services/notifications/.../live/router.py):
 * the first message authenticates (never a token in the URL), a new token re-authenticates the
 * open socket before the old one expires, a lost socket reconnects with growing delay and
 * asks to `resume` from the last notification it saw, so nothing is missed in between.
 */
import type { LiveMessage } from "./bridge";

export type LiveState = "connecting" | "open" | "closed";

export interface LiveOptions {
  getToken: () => string | null;
  onMessage: (message: LiveMessage) => void;
  onState?: (state: LiveState) => void;
  url?: string;
}

const MAX_DELAY_MS = 30_000;

export class LiveSocket {
  private socket: WebSocket | null = null;
  private attempts = 0;
  private stopped = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  /** Created time of the newest notification seen: where a reconnect resumes from. */
  private since: string | null = null;
  private readonly seen = new Set<string>();
  /** Set per connection: the first `ready` of a socket asks for what was missed. */
  private resumePending = false;

  constructor(private readonly options: LiveOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.socket?.close(1000);
    this.socket = null;
  }

  /** Send the new access token on the open socket (it extends the socket's life). */
  reauth(): void {
    const token = this.options.getToken();
    if (token && this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: "auth", token }));
    }
  }

  private url(): string {
    if (this.options.url) return this.options.url;
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}/api/v1/ws`;
  }

  private connect(): void {
    const token = this.options.getToken();
    if (!token || this.stopped) return;
    this.options.onState?.("connecting");
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.resumePending = true;
    socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token: this.options.getToken() ?? token }));
    socket.onmessage = (raw) => this.receive(socket, raw.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.options.onState?.("closed");
      this.schedule();
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    // Full jitter: many clients coming back after an outage do not all knock at once.
    const ceiling = Math.min(MAX_DELAY_MS, 500 * 2 ** this.attempts);
    this.attempts += 1;
    this.retry = setTimeout(() => this.connect(), Math.random() * ceiling);
  }

  private receive(socket: WebSocket, data: unknown): void {
    let message: LiveMessage;
    try {
      message = JSON.parse(String(data)) as LiveMessage;
    } catch {
      return;
    }
    if (message.type === "ready") {
      this.attempts = 0;
      this.options.onState?.("open");
      if (this.resumePending && this.since) socket.send(JSON.stringify({ type: "resume", since: this.since }));
      this.resumePending = false;
    } else if (message.type === "ping" || message.type === "pong") {
      // The server's heartbeat keeps proxies from closing an idle socket; nothing to do.
      return;
    } else if (message.type === "notification") {
      const { id, created_at } = message.notification;
      // Replayed and live messages can overlap around a reconnect.
      if (this.seen.has(id)) return;
      this.seen.add(id);
      if (!this.since || created_at > this.since) this.since = created_at;
    }
    this.options.onMessage(message);
  }
}
