/** One page of dist/web: where it is served and when. */
export interface WebPage {
  /** Its folder under web/ (sources) and dist/web/ (the build); its assets are under `/assets/<name>/`. */
  name: string;
  /** The path it is served at: `/` or `/admin` (also with a trailing slash). */
  path: string;
  /** Whether it is served now; a page that is not answers the same JSON 404 as any unknown path. */
  enabled(): boolean | Promise<boolean>;
}
