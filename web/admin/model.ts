/** The shapes the admin API answers (src/admin/adminApi.ts), as the page reads them. */
export interface Tenant {
  tenantId: string;
  maxDocuments: number;
  liveDocuments: number;
  regions: string[] | null;
}

export interface App {
  tenantId: string;
  appId: string;
  keyKind: string;
  algorithm: string;
  keyVersion: number;
  createdAt: string;
}

export interface Session {
  tenantId: string;
  appId: string;
  name: string;
  region: string;
  pinnedBy: string;
  connections: number;
  connectionsByNode: Record<string, number>;
  createdAt: string;
  ageMs: number;
  lastActivityAt: string;
}

export interface NodeInfo {
  nodeId: string;
  region: string;
  url: string;
  heartbeatAgeMs: number;
  live: boolean;
  connections: number;
  self: boolean;
}

export interface Sample {
  at: number;
  connections: number;
  updatesPerSecond: number;
  eventLoopDelayMs: number;
  limitHits: number;
}

export interface Delivery {
  deliveryId: string;
  endpointId: string;
  url: string;
  tenantId: string;
  appId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
}

export interface Overview {
  tenants: Tenant[];
  apps: App[];
  documents: Session[];
  boards: Session[];
  nodes: NodeInfo[];
  metrics: { nodeId: string; intervalMs: number; samples: Sample[] };
  webhooks: { enabled: boolean; deliveries: Delivery[] };
}
