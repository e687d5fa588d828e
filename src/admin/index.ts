/** The admin part (issue 18): the server admin key and its tokens, the cluster overview, the sampled figures, the admin API's work. */
export type { AdminKey, AdminKeyStore } from './adminKeyStore.js';
export { LibsqlAdminKeyStore } from './libsqlAdminKeyStore.js';
export { PostgresAdminKeyStore } from './postgresAdminKeyStore.js';
export type { ClusterOverview, NodeRow, PinnedSession, SessionKind } from './clusterOverview.js';
export { LibsqlClusterOverview } from './libsqlClusterOverview.js';
export { PostgresClusterOverview } from './postgresClusterOverview.js';
export { adminStoresOf, type AdminStores } from './adminStores.js';
export { AdminVerifier, adminAudience, issueAdminToken, type AdminPrincipal, type AdminVerifierOptions, type IssueAdminTokenOptions } from './adminToken.js';
export { MetricsSampler, type MetricsSample, type MetricsSamplerOptions, type SampleSource } from './metricsSampler.js';
export {
  AdminApi,
  maxListedSessions,
  type AdminApiOptions,
  type AppView,
  type DeliveryView,
  type KeyedApp,
  type NewTenantRequest,
  type NodeView,
  type SessionView,
  type TenantView,
  type TokenRequest,
} from './adminApi.js';
