import type { Client, InStatement, TransactionMode } from '@libsql/client';
import { openLibsqlDatabase, type LibsqlDatabase, type LibsqlDatabaseOptions } from '../../src/routing/libsqlDatabase.js';
import { LibsqlRoutingTable } from '../../src/routing/libsqlRoutingTable.js';
import type { LibsqlControlStores } from '../../src/routing/controlStores.js';
import { LibsqlTenantRegistry } from '../../src/tenancy/libsqlTenantRegistry.js';

/** What the control database was asked since the last `reset()`. */
export class StoreCounters {
  /** `execute` and `batch` calls: each is one request to a remote database. */
  roundTrips = 0;
  statements = 0;

  reset(): void {
    this.roundTrips = 0;
    this.statements = 0;
  }
}

export interface SlowControlStores extends LibsqlControlStores {
  counters: StoreCounters;
}

/**
 * The control stores on a libSQL database whose every `execute` and `batch` waits `delayMs`
 * first, as a request to a remote Turso would, and is counted. The delay sits in front of the
 * client, so the routing table and the tenant registry pay it exactly as they issue requests.
 */
export async function openSlowControlStores(options: LibsqlDatabaseOptions & { delayMs: number }): Promise<SlowControlStores> {
  const database = await openLibsqlDatabase(options);
  const counters = new StoreCounters();
  const slow = slowDatabase(database, options.delayMs, counters);
  return {
    kind: 'libsql',
    database: slow,
    routing: new LibsqlRoutingTable(slow),
    tenants: new LibsqlTenantRegistry(slow),
    counters,
    close: () => database.close(),
  };
}

function slowDatabase(database: LibsqlDatabase, delayMs: number, counters: StoreCounters): LibsqlDatabase {
  const wait = () => new Promise((resolve) => setTimeout(resolve, delayMs));
  const client = new Proxy(database.client, {
    get(target, property, receiver) {
      if (property === 'execute') {
        return async (statement: InStatement) => {
          counters.roundTrips++;
          counters.statements++;
          await wait();
          return target.execute(statement);
        };
      }
      if (property === 'batch') {
        return async (statements: InStatement[], mode?: TransactionMode) => {
          counters.roundTrips++;
          counters.statements += statements.length;
          await wait();
          return target.batch(statements, mode);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Client;
  return {
    client,
    kind: database.kind,
    get closed() {
      return database.closed;
    },
    close: () => database.close(),
  };
}
