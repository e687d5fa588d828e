import type { ResultSet, Row } from '@libsql/client';
// The module itself, not routing's index: routing's index re-exports control stores built on
// this registry, and importing it back from here would make an import cycle.
import { rowNumber, rowString, type LibsqlDatabase } from '../routing/libsqlDatabase.js';
import { keyColumns, keyFromColumns } from './appKeyColumns.js';
import { appIdSchema, tenantIdSchema } from './identifiers.js';
import { appNotCreatedError, checked, checkedMaxDocuments, checkedRegions, checkedTime, regionsColumn, regionsFromColumn, tenantExistsError } from './registryArguments.js';
import type { AppKey, AppRecord, KeyRotation, NewApp, Tenant, TenantRegistry } from './tenantRegistry.js';

const insertTenant = `
  INSERT INTO tenants (tenant_id, max_documents, created_at, allowed_regions) VALUES (?, ?, ?, ?)
  ON CONFLICT (tenant_id) DO NOTHING`;
const selectTenant = 'SELECT tenant_id, max_documents, allowed_regions FROM tenants WHERE tenant_id = ?';
const selectTenants = 'SELECT tenant_id, max_documents, allowed_regions FROM tenants ORDER BY tenant_id';
const updateMaxDocuments = 'UPDATE tenants SET max_documents = ? WHERE tenant_id = ?';
const updateAllowedRegions = 'UPDATE tenants SET allowed_regions = ? WHERE tenant_id = ?';

/** The app goes in only under an existing tenant and never over an existing app. */
const insertAppUnderTenant = `
  INSERT INTO apps (tenant_id, app_id, key_kind, key_algorithm, key_material, created_at)
  SELECT ?, ?, ?, ?, ?, ?
  WHERE EXISTS (SELECT 1 FROM tenants WHERE tenant_id = ?)
  ON CONFLICT (tenant_id, app_id) DO NOTHING`;
const tenantExists = 'SELECT EXISTS (SELECT 1 FROM tenants WHERE tenant_id = ?) AS found';
const appColumns = 'tenant_id, app_id, key_kind, key_algorithm, key_material, created_at, key_version';
const selectApp = `SELECT ${appColumns} FROM apps WHERE tenant_id = ? AND app_id = ?`;
const selectApps = `SELECT ${appColumns} FROM apps ORDER BY tenant_id, app_id`;
const selectTenantApps = `SELECT ${appColumns} FROM apps WHERE tenant_id = ? ORDER BY app_id`;

const updateAppKey = `
  UPDATE apps SET key_kind = ?, key_algorithm = ?, key_material = ?, key_version = key_version + 1
  WHERE tenant_id = ? AND app_id = ?`;
/** Logs the rotation with the version the update just wrote (nothing when the app is missing). */
const insertRotation = `
  INSERT INTO key_rotations (tenant_id, app_id, key_version, rotated_at)
  SELECT tenant_id, app_id, key_version, ? FROM apps WHERE tenant_id = ? AND app_id = ?`;
const selectRotationsSince = 'SELECT sequence, tenant_id, app_id, key_version FROM key_rotations WHERE sequence > ? ORDER BY sequence';
const selectLatestRotation = 'SELECT COALESCE(MAX(sequence), 0) AS latest FROM key_rotations';

/**
 * TenantRegistry on the control database, beside the routing table so that `pinDocument` can
 * read `max_documents` in the same transaction as its insert. Ids are validated here, at the
 * boundary where the CLI and HTTP admin calls enter.
 */
export class LibsqlTenantRegistry implements TenantRegistry {
  constructor(
    private readonly database: LibsqlDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  private get client() {
    return this.database.client;
  }

  async createTenant(tenant: Tenant): Promise<void> {
    const tenantId = checked(tenantIdSchema, tenant.tenantId, 'tenant id');
    const maxDocuments = checkedMaxDocuments(tenant.maxDocuments);
    const regions = regionsColumn(checkedRegions(tenant.allowedRegions));
    const result = await this.client.execute({ sql: insertTenant, args: [tenantId, maxDocuments, this.now(), regions] });
    if (result.rowsAffected === 0) throw tenantExistsError(tenantId);
  }

  async getTenant(tenantId: string): Promise<Tenant | null> {
    const result = await this.client.execute({ sql: selectTenant, args: [tenantId] });
    const row = result.rows[0];
    return row ? tenantFromRow(row) : null;
  }

  async listTenants(): Promise<Tenant[]> {
    const result = await this.client.execute(selectTenants);
    return result.rows.map(tenantFromRow);
  }

  async setMaxDocuments(tenantId: string, maxDocuments: number): Promise<boolean> {
    const args = [checkedMaxDocuments(maxDocuments), tenantId];
    const result = await this.client.execute({ sql: updateMaxDocuments, args });
    return result.rowsAffected > 0;
  }

  async setAllowedRegions(tenantId: string, regions: readonly string[] | null): Promise<boolean> {
    const result = await this.client.execute({ sql: updateAllowedRegions, args: [regionsColumn(checkedRegions(regions)), tenantId] });
    return result.rowsAffected > 0;
  }

  async createApp(app: NewApp): Promise<void> {
    const tenantId = checked(tenantIdSchema, app.tenantId, 'tenant id');
    const appId = checked(appIdSchema, app.appId, 'app id');
    const { kind, algorithm, material } = keyColumns(app.key);
    const createdAt = checkedTime(app.createdAt);
    const [insert, tenant] = await this.client.batch(
      [
        { sql: insertAppUnderTenant, args: [tenantId, appId, kind, algorithm, material, createdAt, tenantId] },
        { sql: tenantExists, args: [tenantId] },
      ],
      'write',
    );
    throwUnlessInserted(insert, tenant, tenantId, appId);
  }

  async getApp(tenantId: string, appId: string): Promise<AppRecord | null> {
    const result = await this.client.execute({ sql: selectApp, args: [tenantId, appId] });
    const row = result.rows[0];
    return row ? appFromRow(row) : null;
  }

  async listApps(tenantId?: string): Promise<AppRecord[]> {
    const statement = tenantId === undefined ? selectApps : { sql: selectTenantApps, args: [tenantId] };
    const result = await this.client.execute(statement);
    return result.rows.map(appFromRow);
  }

  /** The key update, the log entry and the read-back are one write batch: no node sees half. */
  async rotateAppKey(tenantId: string, appId: string, key: AppKey): Promise<AppRecord | null> {
    const { kind, algorithm, material } = keyColumns(key);
    const [update, , selected] = await this.client.batch(
      [
        { sql: updateAppKey, args: [kind, algorithm, material, tenantId, appId] },
        { sql: insertRotation, args: [this.now(), tenantId, appId] },
        { sql: selectApp, args: [tenantId, appId] },
      ],
      'write',
    );
    const row = selected.rows[0];
    return update.rowsAffected > 0 && row ? appFromRow(row) : null;
  }

  async keyRotationsSince(afterSequence: number): Promise<KeyRotation[]> {
    const result = await this.client.execute({ sql: selectRotationsSince, args: [afterSequence] });
    return result.rows.map((row) => ({
      sequence: rowNumber(row, 'sequence'),
      tenantId: rowString(row, 'tenant_id'),
      appId: rowString(row, 'app_id'),
      keyVersion: rowNumber(row, 'key_version'),
    }));
  }

  async latestKeyRotation(): Promise<number> {
    const result = await this.client.execute(selectLatestRotation);
    const row = result.rows[0];
    return row ? rowNumber(row, 'latest') : 0;
  }
}

function throwUnlessInserted(insert: ResultSet, tenant: ResultSet, tenantId: string, appId: string): void {
  if (insert.rowsAffected > 0) return;
  const tenantRow = tenant.rows[0];
  throw appNotCreatedError(tenantId, appId, tenantRow !== undefined && rowNumber(tenantRow, 'found') !== 0);
}

function tenantFromRow(row: Row): Tenant {
  const tenant: Tenant = { tenantId: rowString(row, 'tenant_id'), maxDocuments: rowNumber(row, 'max_documents') };
  const regions = regionsFromColumn(row.allowed_regions);
  return regions === null ? tenant : { ...tenant, allowedRegions: regions };
}

function appFromRow(row: Row): AppRecord {
  return {
    tenantId: rowString(row, 'tenant_id'),
    appId: rowString(row, 'app_id'),
    key: keyFromColumns(rowString(row, 'key_kind'), rowString(row, 'key_algorithm'), rowString(row, 'key_material')),
    createdAt: rowNumber(row, 'created_at'),
    keyVersion: rowNumber(row, 'key_version'),
  };
}
