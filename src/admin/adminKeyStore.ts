/**
 * The server admin key (issue 18): the HS256 secret admin tokens are signed with. It lives in its
 * own table of the control store, never in `apps`, so no app key can ever be it, and the first
 * caller that needs it (`wiresocket admin token`, or a server answering an admin call) creates it.
 *
 * Contract (test/admin/adminKeyStoreContract.ts, run for libSQL and PostgreSQL):
 * - `currentKey` creates version 1 when there is none; concurrent first calls agree on one key.
 * - `rotateKey` adds the next version, which is the current key from then on.
 */
export interface AdminKeyStore {
  currentKey(): Promise<AdminKey>;
  rotateKey(): Promise<AdminKey>;
}

export interface AdminKey {
  version: number;
  /** base64url of 32 random bytes. */
  secret: string;
}
