import type { DevDemo } from './devDemo.js';
import type { WebPage } from './webPage.js';

export interface WebPageDependencies {
  demo: DevDemo;
  /** Whether this server has the admin API (its admin stores); the dashboard is useless without it. */
  admin: boolean;
}

/** Every page the server has, one line each: its folder under web/, its path and its rule. */
export function webPages({ demo, admin }: WebPageDependencies): WebPage[] {
  return [
    // The demo: `--demo` on, a loopback listen address and the dev bootstrap's `dev/demo` app.
    { name: 'demo', path: '/', enabled: () => demo.available() },
    // The dashboard: on any host, since it shows nothing without an admin token (issue 18).
    { name: 'admin', path: '/admin', enabled: () => admin },
  ];
}
