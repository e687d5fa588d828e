import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadAllowPrivateWebhooks, loadServeConfig } from '../../src/config.js';
import { checkEndpointHost, isBlockedAddress, parseEndpointUrl } from '../../src/webhooks/index.js';
import { runCli } from '../cli/cliProcess.js';

describe('webhook settings', () => {
  it('HOOK-17: defaults: one document.updated per 5 s, final states up to 4 MiB, private addresses refused', () => {
    const config = loadServeConfig({}, {});
    assert.equal(config.webhookUpdateIntervalMs, 5_000);
    assert.equal(config.webhookMaxStateBytes, 4 * 1024 * 1024);
    assert.equal(config.allowPrivateWebhooks, false);
  });

  it('HOOK-17: flags beat WIRESOCKET_* variables; invalid values name the flag or the variable', () => {
    const env = { WIRESOCKET_WEBHOOK_UPDATE_INTERVAL_MS: '700', WIRESOCKET_WEBHOOK_MAX_STATE_BYTES: '1024', WIRESOCKET_ALLOW_PRIVATE_WEBHOOKS: '1' };
    const fromEnv = loadServeConfig({}, env);
    assert.deepEqual([fromEnv.webhookUpdateIntervalMs, fromEnv.webhookMaxStateBytes, fromEnv.allowPrivateWebhooks], [700, 1024, true]);
    const fromFlags = loadServeConfig({ 'webhook-update-interval-ms': '900', 'allow-private-webhooks': true }, { ...env, WIRESOCKET_ALLOW_PRIVATE_WEBHOOKS: 'false' });
    assert.deepEqual([fromFlags.webhookUpdateIntervalMs, fromFlags.allowPrivateWebhooks], [900, true]);
    assert.throws(() => loadServeConfig({ 'webhook-update-interval-ms': '5' }, {}), (error: Error) => error instanceof ConfigError && /--webhook-update-interval-ms must be/.test(error.message));
    assert.throws(() => loadServeConfig({}, { WIRESOCKET_WEBHOOK_MAX_STATE_BYTES: 'lots' }), /WIRESOCKET_WEBHOOK_MAX_STATE_BYTES \(environment\) must be/);
    assert.throws(() => loadServeConfig({}, { WIRESOCKET_ALLOW_PRIVATE_WEBHOOKS: 'yes' }), /WIRESOCKET_ALLOW_PRIVATE_WEBHOOKS \(environment\) must be true, false, 1 or 0/);
    assert.equal(loadAllowPrivateWebhooks({}, { WIRESOCKET_ALLOW_PRIVATE_WEBHOOKS: 'true' }), true);
    assert.equal(loadAllowPrivateWebhooks({}, {}), false);
  });

  it('HOOK-17: serve takes --allow-private-webhooks without a value and refuses a bad interval by name', async () => {
    const bad = await runCli(['serve', '--webhook-update-interval-ms', 'soon', '--port', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--webhook-update-interval-ms must be an integer number of milliseconds/);
    const valued = await runCli(['serve', '--allow-private-webhooks=yes', '--port', '0']);
    assert.equal(valued.code, 2);
    assert.match(valued.stderr, /--allow-private-webhooks/);
  });

  it('HOOK-11: loopback, private, link-local, metadata and mapped addresses are blocked; public ones are not', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00:ec2::254', 'fc00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '224.0.0.1']) {
      assert.equal(isBlockedAddress(address), true, address);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(isBlockedAddress(address), false, address);
  });

  it('HOOK-11: an endpoint is refused when its host is or resolves to a blocked address, unless allowed', async () => {
    await assert.rejects(checkEndpointHost(parseEndpointUrl('http://[::1]:8080/x'), false), /::1: a loopback, private, link-local or metadata address/);
    await assert.rejects(checkEndpointHost(parseEndpointUrl('http://localhost/x'), false), /localhost resolves to .*allow with --allow-private-webhooks/);
    await assert.rejects(checkEndpointHost(parseEndpointUrl('http://169.254.169.254/latest/meta-data'), false), /169\.254\.169\.254/);
    assert.deepEqual(await checkEndpointHost(parseEndpointUrl('http://127.0.0.1:9/x'), true), ['127.0.0.1']);
    assert.deepEqual(await checkEndpointHost(parseEndpointUrl('https://93.184.216.34/x'), false), ['93.184.216.34']);
    assert.throws(() => parseEndpointUrl('http://user:pw@hooks.example.com/'), /may not carry credentials/);
  });
});
