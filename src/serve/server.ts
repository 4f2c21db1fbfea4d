/**
 * `noiselab serve`: a read-only HTTP server over a store (Node's http module).
 * Only GET and HEAD; paths and query parameters are checked before anything is
 * looked up (request.ts); files are served only from a fixed list of the
 * dashboard's own assets and from the artifact directories of done runs.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isIP } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderChartSvg, svgToPng } from "../document/charts.js";
import type { DatasetSpec } from "../data/index.js";
import { InputError } from "../errors.js";
import type { DeterminismEvidence } from "../report/determinism.js";
import type { RunStore } from "../store/run-store.js";
import { NotFoundError } from "./errors.js";
import type { PageKind } from "./pages.js";
import { pageHtml } from "./pages.js";
import type { Query } from "./request.js";
import { parseRequestTarget } from "./request.js";
import type { RunFilter } from "./store-view.js";
import { StoreView } from "./store-view.js";
import { Thumbnails } from "./thumbnails.js";

export interface ServeOptions {
  store: RunStore;
  host: string;
  port: number;
  determinism: DeterminismEvidence;
  /** How often the live view looks for new or changed runs (default 1000 ms). */
  pollMs?: number;
}

export interface RunningServer {
  server: Server;
  dashboard: DashboardServer;
  url: string;
  close(): Promise<void>;
}

/** Whether `host` is a loopback address or name: only then is the dashboard private to this machine. */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  const h = host.replace(/^\[|\]$/g, "");
  return h === "::1" || h === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(h);
}

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../src/serve/public");

/** Every file the server serves besides artifacts: name → [path, content type]. */
function staticFiles(): Map<string, [string, string]> {
  const vendor = (pkg: string, file: string): string => join(dirname(fileURLToPath(import.meta.resolve(pkg))), file);
  return new Map([
    ["app.js", [join(PUBLIC_DIR, "app.js"), "text/javascript; charset=utf-8"]],
    ["style.css", [join(PUBLIC_DIR, "style.css"), "text/css; charset=utf-8"]],
    ["vega.min.js", [vendor("vega", "vega.min.js"), "text/javascript; charset=utf-8"]],
    ["vega-lite.min.js", [vendor("vega-lite", "vega-lite.min.js"), "text/javascript; charset=utf-8"]],
    ["vega-embed.min.js", [vendor("vega-embed", "vega-embed.min.js"), "text/javascript; charset=utf-8"]],
  ]);
}

const HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  // Vega compiles its expressions with Function(), hence 'unsafe-eval'; nothing is loaded from elsewhere.
  "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'none'",
};

class Response {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly body: string | Buffer,
    readonly extra: Record<string, string> = {},
  ) {}
}

const JSON_TYPE = "application/json; charset=utf-8";
const json = (value: unknown): Response => new Response(200, JSON_TYPE, JSON.stringify(value));
const html = (text: string): Response => new Response(200, "text/html; charset=utf-8", text);

function filterOf(query: Query): RunFilter {
  return { variants: query.list("variant"), environments: query.list("environment") };
}

export class DashboardServer {
  readonly view: StoreView;
  private readonly thumbnails = new Thumbnails();
  private readonly statics = staticFiles();
  private readonly clients = new Set<ServerResponse>();
  private lastState = "";
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: ServeOptions) {
    this.view = new StoreView(options.store, options.determinism);
  }

  /** Answers one request; every error becomes a status code and a one-line message. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let response: Response;
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        response = new Response(405, "text/plain; charset=utf-8", "this dashboard is read-only: only GET and HEAD\n", { Allow: "GET, HEAD" });
      } else {
        this.checkHost(req);
        const { segments, query } = parseRequestTarget(req.url ?? "/");
        if (segments[0] === "api" && segments[1] === "events" && segments.length === 2) {
          query.only([]);
          this.openEvents(req, res);
          return;
        }
        response = await this.route(segments, query);
      }
    } catch (err) {
      response = errorResponse(err);
    }
    res.writeHead(response.status, { ...HEADERS, "Content-Type": response.type, "Content-Length": Buffer.byteLength(response.body), "Cache-Control": "no-store", ...response.extra });
    res.end(req.method === "HEAD" ? undefined : response.body);
  }

  /**
   * Bound to loopback, requests must name a loopback host: a web page elsewhere cannot then reach
   * the dashboard through a name that resolves to 127.0.0.1 (DNS rebinding).
   */
  private checkHost(req: IncomingMessage): void {
    if (!isLoopback(this.options.host)) return;
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (!isLoopback(host)) throw new InputError(`Host "${req.headers.host ?? ""}" is not this machine's loopback address`);
  }

  private async route(s: string[], query: Query): Promise<Response> {
    const n = s.length;
    if (n === 0) return html(pageHtml("experiments", "Experiments"));
    if (s[0] === "static" && n === 2) {
      query.only([]);
      const file = this.statics.get(s[1]);
      if (!file) throw new NotFoundError(`no file /static/${s[1]}`);
      return new Response(200, file[1], readFileSync(file[0]));
    }
    if (s[0] === "experiments" && n === 2) return this.page(query, "experiment", s[1], { experiment: s[1] }, () => this.view.experiment(s[1], { variants: [], environments: [] }));
    if (s[0] === "experiments" && n === 3 && s[2] === "unstable") {
      return this.page(query, "unstable", `Unstable examples: ${s[1]}`, { experiment: s[1] }, () => this.view.datasetOf(s[1]));
    }
    if (s[0] === "runs" && n === 2) return this.page(query, "run", `Run ${s[1].slice(0, 12)}`, { key: s[1] }, () => this.view.run(s[1]));
    if (s[0] === "determinism" && n === 1) return this.page(query, "determinism", "Determinism", {}, () => undefined);
    if (s[0] === "api") return this.api(s.slice(1), query);
    throw new NotFoundError(`no page /${s.join("/")}`);
  }

  /** A page shell, once its subject is known to exist (a wrong name is a 404 page, not an empty shell). */
  private page(query: Query, kind: PageKind, title: string, subject: Record<string, string>, exists: () => unknown): Response {
    // The browser script reads the filters; here they only have to be names of parameters it knows.
    query.only(["variant", "environment", "model", "class", "attribute", "value"]);
    exists();
    return html(pageHtml(kind, title, subject));
  }

  private async api(s: string[], query: Query): Promise<Response> {
    const n = s.length;
    if (s[0] === "experiments" && n === 1) return json(query.only([]) && this.view.experiments());
    if (s[0] === "experiments" && n === 2) return new Response(200, JSON_TYPE, this.view.experimentJson(s[1], filterOf(query.only(["variant", "environment"]))));
    if (s[0] === "experiments" && n === 4 && s[2] === "charts") {
      const match = /^(.+)\.(svg|png)$/.exec(s[3]);
      if (!match) throw new NotFoundError(`charts download as <id>.svg or <id>.png, not "${s[3]}"`);
      return await this.chartFile(s[1], match[1], match[2] as "svg" | "png", filterOf(query.only(["variant", "environment"])));
    }
    if (s[0] === "experiments" && n === 3 && s[2] === "unstable") {
      query.only(["model", "variant", "environment", "class", "attribute", "value", "limit"]);
      const attribute = query.string("attribute");
      const value = query.string("value");
      if ((attribute === undefined) !== (value === undefined)) throw new InputError('query parameters "attribute" and "value" go together');
      return json(
        this.view.unstable(s[1], {
          model: query.string("model"),
          variant: query.string("variant"),
          environments: query.list("environment"),
          classIndex: query.int("class", 0, 1_000_000),
          attribute,
          value,
          limit: query.int("limit", 1, 500) ?? 48,
        }),
      );
    }
    if (s[0] === "experiments" && n === 4 && s[2] === "examples") {
      query.only([]);
      const match = /^(\d{1,9})\.png$/.exec(s[3]);
      if (!match) throw new InputError(`example images are <index>.png, not "${s[3]}"`);
      const png = this.thumbnails.png(this.view.datasetOf(s[1]) as DatasetSpec, Number(match[1]));
      return new Response(200, "image/png", png, { "Cache-Control": "max-age=3600" });
    }
    if (s[0] === "runs" && n === 2) return json(query.only([]) && this.view.run(s[1]));
    if (s[0] === "runs" && n >= 4 && s[2] === "files") {
      query.only([]);
      const path = this.view.artifactFile(s[1], s.slice(3).join("/"));
      const name = s[n - 1].replace(/[^\w.-]/g, "_");
      return new Response(200, contentType(name), readFileSync(path), { "Content-Disposition": `attachment; filename="${name}"` });
    }
    if (s[0] === "determinism" && n === 1) return json(query.only([]) && this.view.determinismView());
    throw new NotFoundError(`no API /api/${s.join("/")}`);
  }

  /** A chart of the report as a file, rendered in Node exactly as `noiselab report --format svg png` renders it. */
  private async chartFile(name: string, id: string, format: "svg" | "png", filter: RunFilter): Promise<Response> {
    const chart = this.view.chart(name, filter, id);
    const file = `${name}-${id}.${format}`.replace(/[^\w.-]/g, "_");
    const svg = await renderChartSvg(chart);
    const body = format === "svg" ? svg : svgToPng(svg);
    return new Response(200, format === "svg" ? "image/svg+xml; charset=utf-8" : "image/png", body, { "Content-Disposition": `attachment; filename="${file}"` });
  }

  private openEvents(req: IncomingMessage, res: ServerResponse): void {
    // Read first: a store that cannot be read is an error answer, before any header is sent.
    const state = this.currentState();
    res.writeHead(200, { ...HEADERS, "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", Connection: "keep-alive" });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    res.write(`retry: 2000\n\n`);
    this.clients.add(res);
    req.on("close", () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopPolling();
    });
    this.sendState(res, state);
    this.startPolling();
  }

  private currentState(): string {
    return JSON.stringify(this.view.experiments());
  }

  private sendState(res: ServerResponse, state: string): void {
    res.write(`event: experiments\ndata: ${state}\n\n`);
  }

  /** While a browser listens, looks at the store every `pollMs` and tells every listener when anything changed. */
  private startPolling(): void {
    if (this.timer !== null) return;
    this.lastState = this.currentState();
    this.timer = setInterval(() => {
      let state: string;
      try {
        state = this.currentState();
      } catch (err) {
        console.error(`noiselab serve: cannot read the store: ${(err as Error).message.split("\n")[0]}`);
        return;
      }
      if (state === this.lastState) return;
      this.lastState = state;
      for (const client of this.clients) this.sendState(client, state);
    }, this.options.pollMs ?? 1000);
  }

  private stopPolling(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stopPolling();
    for (const client of this.clients) client.end();
    this.clients.clear();
  }
}

function contentType(name: string): string {
  if (name.endsWith(".json")) return "application/json; charset=utf-8";
  if (name.endsWith(".csv") || name.endsWith(".log") || name.endsWith(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

function errorResponse(err: unknown): Response {
  const text = (status: number, message: string) => new Response(status, "application/json; charset=utf-8", JSON.stringify({ error: message }));
  if (err instanceof NotFoundError) return text(404, err.message);
  if (err instanceof InputError) return text(400, err.message);
  console.error(`noiselab serve: ${(err as Error).stack ?? String(err)}`);
  return text(500, `internal error: ${(err as Error).message?.split("\n")[0] ?? String(err)}`);
}

/** Starts the dashboard; resolves once it listens. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const dashboard = new DashboardServer(options);
  const server = createServer((req, res) => {
    dashboard.handle(req, res).catch((err: unknown) => {
      // Only a failure to write the answer gets here (every other error is answered by handle).
      console.error(`noiselab serve: ${(err as Error).message}`);
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    dashboard,
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        dashboard.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
