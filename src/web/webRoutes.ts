import type { IncomingMessage, ServerResponse } from 'node:http';
import { WiresocketError } from '../errors.js';
import type { Logger } from '../log.js';
import { contentSecurityPolicy } from './contentSecurityPolicy.js';
import type { DevDemo } from './devDemo.js';
import { readPageAssets, type PageAsset } from './pageAssets.js';
import type { WebPage } from './webPage.js';

export interface WebRoutesOptions {
  pages: readonly WebPage[];
  demo: DevDemo;
  /** dist/web: one folder per page. */
  root: string;
  /** `host:port` for the CSP when a request has no usable Host header. */
  ownHost: string;
  logger: Logger;
}

const assetPrefix = '/assets/';
const devTokenPath = '/v1/dev/token';

/**
 * The browser pages (issue 18): each registered page at its path, its built files under
 * `/assets/<page>/`, and the demo's token. Answers false for anything it does not serve (a page
 * that is off included), so the caller's JSON 404 is the same for all of them.
 */
export class WebRoutes {
  /** Each page's files, read on its first request (null: the page was not built). */
  private readonly assets = new Map<string, Promise<ReadonlyMap<string, PageAsset> | null>>();
  /** Pages whose missing build was logged (once each: every request would repeat it). */
  private readonly reportedUnbuilt = new Set<string>();

  constructor(private readonly options: WebRoutesOptions) {}

  /** Serves a GET or HEAD for `path` if it is one of the pages' routes; false when it is not. */
  async handle(request: IncomingMessage, response: ServerResponse, path: string): Promise<boolean> {
    if (path === devTokenPath) return this.devToken(request, response);
    const page = this.options.pages.find((candidate) => path === candidate.path || path === `${candidate.path.replace(/\/$/, '')}/`);
    if (page) return this.serve(request, response, page, 'index.html');
    if (!path.startsWith(assetPrefix)) return false;
    const [pageName, fileName, ...rest] = path.slice(assetPrefix.length).split('/');
    const owner = this.options.pages.find((candidate) => candidate.name === pageName);
    // A name is looked up among the built files, never joined to a path: `..` can name nothing.
    if (!owner || fileName === undefined || rest.length > 0 || fileName === 'index.html') return false;
    return this.serve(request, response, owner, fileName);
  }

  private async serve(request: IncomingMessage, response: ServerResponse, page: WebPage, fileName: string): Promise<boolean> {
    if (!(await page.enabled())) return false;
    const assets = await this.assetsOf(page.name);
    const asset = assets?.get(fileName);
    if (asset === undefined) {
      if (assets === null && !this.reportedUnbuilt.has(page.name)) {
        this.reportedUnbuilt.add(page.name);
        this.options.logger.warn({ page: page.name, root: this.options.root }, 'the page is not built (no dist/web): run npm run build');
      }
      return false;
    }
    const headers: Record<string, string> = {
      'content-type': asset.contentType,
      etag: asset.etag,
      // Hashed files never change under their name; the page itself is checked every time.
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'content-security-policy': contentSecurityPolicy(request.headers.host, this.options.ownHost),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    };
    if (request.headers['if-none-match'] === asset.etag) {
      response.writeHead(304, headers).end();
      return true;
    }
    response.writeHead(200, { ...headers, 'content-length': String(asset.body.length) });
    response.end(request.method === 'HEAD' ? undefined : asset.body);
    return true;
  }

  private assetsOf(page: string): Promise<ReadonlyMap<string, PageAsset> | null> {
    let assets = this.assets.get(page);
    if (assets === undefined) {
      assets = readPageAssets(this.options.root, page);
      // A failed read is tried again by the next request rather than remembered.
      assets.catch(() => this.assets.delete(page));
      this.assets.set(page, assets);
    }
    return assets;
  }

  /** `GET /v1/dev/token[?user=<name>]`: a token for `dev/demo`; 404 whenever the demo is not available. */
  private async devToken(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const query = new URLSearchParams((request.url ?? '').split('?')[1] ?? '');
    let answer;
    try {
      answer = await this.options.demo.token(query.get('user'));
    } catch (error) {
      if (!(error instanceof WiresocketError)) throw error;
      sendJson(response, error.httpStatus, { code: error.code, message: error.message });
      return true;
    }
    if (answer === null) return false;
    // A token is a credential: no cache may keep it.
    sendJson(response, 200, answer, { 'cache-control': 'no-store' });
    return true;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}
