import type { DevDemo } from './devDemo.js';
import type { WebPage } from './webPage.js';

export interface WebPageDependencies {
  demo: DevDemo;
}

/** Every page the server has, one line each: its folder under web/, its path and its rule. */
export function webPages({ demo }: WebPageDependencies): WebPage[] {
  return [
    // The demo: `--demo` on, a loopback listen address and the dev bootstrap's `dev/demo` app.
    { name: 'demo', path: '/', enabled: () => demo.available() },
  ];
}
