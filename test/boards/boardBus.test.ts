import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { MemoryBoardBus, MemoryBoardBusHub } from '../../src/boards/memoryBoardBus.js';
import { RedisBoardBus } from '../../src/boards/redisBoardBus.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redisCluster.js';
import { sharedRedisGate, standaloneRedisUrl } from '../sync/redisTestSupport.js';
import { boardBusContract } from './boardBusContract.js';

const gate = await sharedRedisGate();

boardBusContract('memory (two nodes on one hub)', async () => {
  const hub = new MemoryBoardBusHub();
  return { buses: [new MemoryBoardBus('a', hub), new MemoryBoardBus('b', hub)], nodeIds: ['a', 'b'], close: async () => undefined };
});

function redisPair(url: () => string) {
  return async () => {
    const keyPrefix = `ws-bus-${randomUUID().slice(0, 8)}`;
    const nodeIds: [string, string] = [`bus-a-${randomUUID()}`, `bus-b-${randomUUID()}`];
    const buses: [RedisBoardBus, RedisBoardBus] = [new RedisBoardBus({ url: url(), nodeId: nodeIds[0], keyPrefix }), new RedisBoardBus({ url: url(), nodeId: nodeIds[1], keyPrefix })];
    return { buses, nodeIds, close: async () => void (await Promise.all(buses.map((bus) => bus.close()))) };
  };
}

describe('Redis board bus', { skip: gate.skip }, () => {
  before(() => assert.ok(gate.available, 'Redis must answer on 127.0.0.1:6379 (CI=true)'));
  boardBusContract('redis standalone', redisPair(() => standaloneRedisUrl));

  describe('on a 3-master Redis Cluster', () => {
    let cluster: RedisCluster | null = null;
    before(async () => {
      cluster = await startRedisCluster();
    });
    after(async () => cluster?.stop());
    boardBusContract('redis cluster (sharded pub/sub)', redisPair(() => cluster!.url));
  });
});
