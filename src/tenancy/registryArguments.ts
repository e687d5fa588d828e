import type { ZodType } from 'zod';

// What every TenantRegistry adapter checks before it writes, and the refusals it words alike.
// Ids are validated here, at the boundary where the CLI and HTTP admin calls enter.

export function checked(schema: ZodType<string>, value: string, what: string): string {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const reason = result.error.issues.map((issue) => issue.message).join('; ');
  throw new Error(`invalid ${what} ${JSON.stringify(value)}: ${reason}`);
}

export function checkedMaxDocuments(value: number): number {
  if (Number.isSafeInteger(value) && value >= 0) return value;
  throw new Error(`invalid maxDocuments ${value}: expected an integer >= 0`);
}

const regionPattern = /^[A-Za-z0-9_.-]{1,64}$/;

/** A residency list: region names as `--region` takes them, at least one, each once; null (anywhere) stays null. */
export function checkedRegions(regions: readonly string[] | null | undefined): string[] | null {
  if (regions === null || regions === undefined) return null;
  const bad = regions.find((region) => !regionPattern.test(region));
  if (bad !== undefined) throw new Error(`invalid region ${JSON.stringify(bad)}: 1-64 characters of A-Z a-z 0-9 _ - .`);
  if (regions.length === 0) throw new Error('a residency list names at least one region (null lifts the limit)');
  return [...new Set(regions)];
}

/** Stored as one comma-joined column (region names hold no comma); NULL means anywhere. */
export function regionsColumn(regions: readonly string[] | null): string | null {
  return regions === null ? null : regions.join(',');
}

export function regionsFromColumn(value: unknown): string[] | null {
  return typeof value === 'string' && value.length > 0 ? value.split(',') : null;
}

export function checkedTime(value: number): number {
  if (Number.isSafeInteger(value) && value >= 0) return value;
  throw new Error(`invalid createdAt ${value}: expected milliseconds since the epoch`);
}

export function tenantExistsError(tenantId: string): Error {
  return new Error(`tenant ${JSON.stringify(tenantId)} already exists`);
}

/** Why an app was not created: its tenant is missing, or the app exists already. */
export function appNotCreatedError(tenantId: string, appId: string, tenantFound: boolean): Error {
  if (!tenantFound) return new Error(`cannot create app ${JSON.stringify(appId)}: tenant ${JSON.stringify(tenantId)} does not exist`);
  return new Error(`app ${JSON.stringify(appId)} already exists in tenant ${JSON.stringify(tenantId)}`);
}
