/** The admin token of this tab: sessionStorage, so it ends with the tab and no other tab or site sees it. */
const key = 'wiresocket-admin-token';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, token);
  } catch {
    // Storage refused (private mode): the token lives until the page is reloaded.
  }
}
