// The modules themselves, not routing's index: routing's index re-exports control stores built on
// this registry, and importing it back from here would make an import cycle.
import { intColumn, textColumn, type PostgresRow } from '../routing/postgresColumns.js';
import type { PostgresControlDatabase } from '../routing/postgresControlDatabase.js';
import { keyColumns, keyFromColumns } from './appKeyColumns.js';
import { appIdSchema, tenantIdSchema } from './identifiers.js';
import { appNotCreatedError, checked, checkedMaxDocuments, checkedRegions, checkedTime, regionsColumn, regionsFromColumn, tenantExistsError } from './registryArguments.js';
import type { AppKey, AppRecord, KeyRotation, NewApp, Tenant, TenantRegistry } from './tenantRegistry.js';

const insertTenant = `
  INSERT INTO tenants (tenant_id, max_documents, created_at, allowed_regions) VALUES ($1, $2, $3, $4)
  ON CONFLICT (tenant_id) DO NOTHING`;
const selectTenant = 'SELECT tenant_id, max_documents, allowed_regions FROM tenants WHERE tenant_id = $1';
const selectTenants = 'SELECT tenant_id, max_documents, allowed_regions FROM tenants ORDER BY tenant_id';
const updateMaxDocuments = 'UPDATE tenants SET max_documents = $1 WHERE tenant_id = $2';
const updateAllowedRegions = 'UPDATE tenants SET allowed_regions = $1 WHERE tenant_id = $2';

/** The app goes in only under an existing tenant and never over an existing app; one statement says which. */
const insertAppUnderTenant = `
  WITH inserted AS (
    INSERT INTO apps (tenant_id, app_id, key_kind, key_algorithm, key_material, created_at)
    SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::bigint
    WHERE EXISTS (SELECT 1 FROM tenants WHERE tenant_id = $1::text)
    ON CONFLICT (tenant_id, app_id) DO NOTHING
    RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM inserted) AS inserted, EXISTS (SELECT 1 FROM tenants WHERE tenant_id = $1::text) AS tenant_found`;
const appColumns = 'tenant_id, app_id, key_kind, key_algorithm, key_material, created_at, key_version';
const selectApp = `SELECT ${appColumns} FROM apps WHERE tenant_id = $1 AND app_id = $2`;
const selectApps = `SELECT ${appColumns} FROM apps ORDER BY tenant_id, app_id`;
const selectTenantApps = `SELECT ${appColumns} FROM apps WHERE tenant_id = $1 ORDER BY app_id`;

/**
 * Rotations queue on one lock before they draw a sequence number, so sequences commit in the
 * order they were drawn: a node polling "after the last one I saw" could otherwise pass over a
 * rotation whose lower number committed after a higher one.
 */
const lockRotations = "SELECT pg_advisory_xact_lock(hashtext('wiresocket key rotations'))";
/** The key update, the log entry (with the version just written) and the read-back: one statement. */
const rotateKey = `
  WITH updated AS (
    UPDATE apps SET key_kind = $1, key_algorithm = $2, key_material = $3, key_version = key_version + 1
    WHERE tenant_id = $4 AND app_id = $5
    RETURNING ${appColumns}),
  logged AS (
    INSERT INTO key_rotations (tenant_id, app_id, key_version, rotated_at)
    SELECT tenant_id, app_id, key_version, $6 FROM updated)
  SELECT ${appColumns} FROM updated`;
const selectRotationsSince = 'SELECT sequence, tenant_id, app_id, key_version FROM key_rotations WHERE sequence > $1 ORDER BY sequence';
const selectLatestRotation = 'SELECT COALESCE(max(sequence), 0) AS latest FROM key_rotations';

/**
 * TenantRegistry on the PostgreSQL control database, beside the routing table so that a pin can
 * lock the tenant's row and read `max_documents` in the same transaction as its insert.
 */
export class PostgresTenantRegistry implements TenantRegistry {
  constructor(
    private readonly database: PostgresControlDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  private get pool() {
    return this.database.pool;
  }

  async createTenant(tenant: Tenant): Promise<void> {
    const tenantId = checked(tenantIdSchema, tenant.tenantId, 'tenant id');
    const maxDocuments = checkedMaxDocuments(tenant.maxDocuments);
    const regions = regionsColumn(checkedRegions(tenant.allowedRegions));
    const result = await this.pool.query(insertTenant, [tenantId, maxDocuments, this.now(), regions]);
    if (result.rowCount === 0) throw tenantExistsError(tenantId);
  }

  async getTenant(tenantId: string): Promise<Tenant | null> {
    const result = await this.pool.query<PostgresRow>(selectTenant, [tenantId]);
    const row = result.rows[0];
    return row === undefined ? null : tenantFromRow(row);
  }

  async listTenants(): Promise<Tenant[]> {
    const result = await this.pool.query<PostgresRow>(selectTenants);
    return result.rows.map(tenantFromRow);
  }

  async setMaxDocuments(tenantId: string, maxDocuments: number): Promise<boolean> {
    const result = await this.pool.query(updateMaxDocuments, [checkedMaxDocuments(maxDocuments), tenantId]);
    return (result.rowCount ?? 0) > 0;
  }

  async setAllowedRegions(tenantId: string, regions: readonly string[] | null): Promise<boolean> {
    const result = await this.pool.query(updateAllowedRegions, [regionsColumn(checkedRegions(regions)), tenantId]);
    return (result.rowCount ?? 0) > 0;
  }

  async createApp(app: NewApp): Promise<void> {
    const tenantId = checked(tenantIdSchema, app.tenantId, 'tenant id');
    const appId = checked(appIdSchema, app.appId, 'app id');
    const { kind, algorithm, material } = keyColumns(app.key);
    const createdAt = checkedTime(app.createdAt);
    const result = await this.pool.query<PostgresRow>(insertAppUnderTenant, [tenantId, appId, kind, algorithm, material, createdAt]);
    const row = result.rows[0];
    if (row?.inserted !== true) throw appNotCreatedError(tenantId, appId, row?.tenant_found === true);
  }

  async getApp(tenantId: string, appId: string): Promise<AppRecord | null> {
    const result = await this.pool.query<PostgresRow>(selectApp, [tenantId, appId]);
    const row = result.rows[0];
    return row === undefined ? null : appFromRow(row);
  }

  async listApps(tenantId?: string): Promise<AppRecord[]> {
    const result =
      tenantId === undefined ? await this.pool.query<PostgresRow>(selectApps) : await this.pool.query<PostgresRow>(selectTenantApps, [tenantId]);
    return result.rows.map(appFromRow);
  }

  /** One transaction: no node sees the new key without its log entry, or the entry out of order. */
  async rotateAppKey(tenantId: string, appId: string, key: AppKey): Promise<AppRecord | null> {
    const { kind, algorithm, material } = keyColumns(key);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(lockRotations);
      const result = await client.query<PostgresRow>(rotateKey, [kind, algorithm, material, tenantId, appId, this.now()]);
      await client.query('COMMIT');
      const row = result.rows[0];
      return row === undefined ? null : appFromRow(row);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async keyRotationsSince(afterSequence: number): Promise<KeyRotation[]> {
    const result = await this.pool.query<PostgresRow>(selectRotationsSince, [afterSequence]);
    return result.rows.map((row) => ({
      sequence: intColumn(row, 'sequence'),
      tenantId: textColumn(row, 'tenant_id'),
      appId: textColumn(row, 'app_id'),
      keyVersion: intColumn(row, 'key_version'),
    }));
  }

  async latestKeyRotation(): Promise<number> {
    const result = await this.pool.query<PostgresRow>(selectLatestRotation);
    return intColumn(result.rows[0], 'latest');
  }
}

function tenantFromRow(row: PostgresRow): Tenant {
  const tenant: Tenant = { tenantId: textColumn(row, 'tenant_id'), maxDocuments: intColumn(row, 'max_documents') };
  const regions = regionsFromColumn(row.allowed_regions);
  return regions === null ? tenant : { ...tenant, allowedRegions: regions };
}

function appFromRow(row: PostgresRow): AppRecord {
  return {
    tenantId: textColumn(row, 'tenant_id'),
    appId: textColumn(row, 'app_id'),
    key: keyFromColumns(textColumn(row, 'key_kind'), textColumn(row, 'key_algorithm'), textColumn(row, 'key_material')),
    createdAt: intColumn(row, 'created_at'),
    keyVersion: intColumn(row, 'key_version'),
  };
}
