/** Who a verified token says the caller is, and what it may open. Built only from verified claims. */
export interface Principal {
  tenantId: string;
  appId: string;
  userId: string;
  access: Access;
  /** Allowed document names (exact, or `prefix*`); `null` means every document of the app. */
  docs: readonly string[] | null;
  /** Expiry of the token, in ms since the epoch. */
  expiresAt: number;
  /** Version of the app key that verified the token; a rotation past it ends the session. */
  keyVersion: number;
}

export type Access = 'read-write' | 'read-only';
