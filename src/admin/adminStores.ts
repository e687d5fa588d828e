import type { ControlStores } from '../routing/index.js';
import type { AdminKeyStore } from './adminKeyStore.js';
import type { ClusterOverview } from './clusterOverview.js';
import { LibsqlAdminKeyStore } from './libsqlAdminKeyStore.js';
import { LibsqlClusterOverview } from './libsqlClusterOverview.js';
import { PostgresAdminKeyStore } from './postgresAdminKeyStore.js';
import { PostgresClusterOverview } from './postgresClusterOverview.js';

/** What the admin API keeps in and reads from the control store. */
export interface AdminStores {
  keys: AdminKeyStore;
  overview: ClusterOverview;
}

/** The admin stores on the control stores' database (they share its lifetime: closing it closes them). */
export function adminStoresOf(stores: ControlStores): AdminStores {
  return stores.kind === 'libsql'
    ? { keys: new LibsqlAdminKeyStore(stores.database), overview: new LibsqlClusterOverview(stores.database) }
    : { keys: new PostgresAdminKeyStore(stores.database), overview: new PostgresClusterOverview(stores.database) };
}
