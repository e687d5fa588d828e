import { loadStoreConfig, type Environment, type Flags } from '../config.js';
import { openControlStores, type ControlStores } from '../routing/index.js';

/**
 * Opens the store `serve` uses (same flags and variables), runs one command against it and
 * closes it again, also when the command fails. The file is shared with a running server: WAL and
 * the busy timeout in openLibsqlDatabase make short CLI writes wait instead of failing.
 */
export async function withControlStores<T>(flags: Flags, env: Environment, action: (stores: ControlStores) => Promise<T>): Promise<T> {
  const config = loadStoreConfig(flags, env);
  const stores = await openControlStores({ url: config.dbUrl, authToken: config.dbAuthToken });
  try {
    return await action(stores);
  } finally {
    await stores.close();
  }
}
