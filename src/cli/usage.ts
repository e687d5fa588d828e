/** The help text: printed by `--help` / `help` on stdout, and after a usage error on stderr. */
export const usageText = `Usage: wiresocket <command> [options]

Commands:
  serve                                   run the server until SIGTERM or SIGINT
    [--port 1234] [--host 127.0.0.1] [--region local] [--node-id ID] [--redis-url URL]
    [--grace-ms 10000] [--max-message-bytes N] [--handshake-timeout-ms N]
    [--heartbeat-interval-ms 5000] [--node-timeout-ms 15000] [--shutdown-timeout-ms N] [--log-level info]
    [--demo on|off]  the demo page at / (default: on for a loopback host without --redis-url/--db-url)
    with --redis-url: [--redis-key-prefix wiresocket] [--redis-key-ttl-seconds 86400]
                      [--redis-compact-every-updates 500] [--redis-compact-every-bytes 1048576]
    boards: [--storage-url URL (default: the control store; or postgres://)] [--storage-auth-token T]
            [--board-ephemeral-idle-ms 300000] [--board-persistent-idle-ms 900000]
            [--board-sweep-interval-ms 60000] [--board-flush-interval-ms 1000]
            [--board-max-participants 200] [--board-max-batches-per-second 50]
    limits: [--max-messages-per-second 200] [--message-burst 400] [--max-awareness-per-second 20] [--max-stateless-per-second 20]
            [--max-awareness-state-bytes 8192] [--max-connections-per-document 500]
            [--max-connects-per-ip-per-minute 600 (0 = off)] [--max-url-bytes 8192]
            [--max-buffered-bytes 8388608] [--slow-reader-timeout-ms 10000]
            [--allowed-origins https://a.example,https://b.example] [--ping-interval-ms 15000]
            [--liveness-timeout-ms 45000] [--key-check-interval-ms 1000]
    admin: [--admin-sample-interval-ms 2000] (the dashboard's charts at /admin)
    hocuspocus: [--max-documents-per-socket 100] [--max-preauth-messages 1000]
                [--max-preauth-bytes 5242880]
    webhooks: [--webhook-update-interval-ms 5000] [--webhook-max-state-bytes 4194304]
              [--allow-private-webhooks (loopback, private, link-local, metadata addresses)]
    archive (opt-in): [--archive-url postgres://... | file:archive.db | s3://bucket/prefix]
                      [--archive-interval-ms 30000] [--archive-s3-endpoint http://host:9000]
  tenants create <tenantId> [--max-documents 1000] [--regions a,b]
  tenants list                            id, maxDocuments, live documents (and regions) per tenant
  tenants set <tenantId> [--max-documents N] [--regions a,b]
                                          --regions: where its documents may be pinned; empty or * = anywhere
  apps create <tenantId>/<appId> [--public-key <pem-file>]
                                          without --public-key: prints a new HS256 secret once
  apps list [tenantId]                    never prints secrets
  apps rotate-key <tenantId>/<appId> [--public-key <pem-file>]
                                          new key at once; sockets opened with the old one get 4401
  token <tenantId>/<appId> --user <id> [--docs name,prefix*] [--read-only] [--ttl 1h]
        [--private-key <pem-file>]        prints only the token (JWT)
  admin token [--user <name>] [--ttl 1h]  prints an admin token (for /admin and /v1/admin/), signed
                                          with the server admin key (created on first use)
  admin rotate-key                        a new admin key at once: earlier admin tokens are refused
  webhooks add <tenantId>/<appId> --url URL [--events document.created,...] [--allow-private-webhooks]
                                          prints the endpoint id and its signing secret (whsec_...) once
  webhooks list [<tenantId>/<appId>]      never prints secrets
  webhooks remove <endpointId>
  webhooks deliveries <endpointId> [--failed] [--limit 20]
                                          recent deliveries: status, attempts, last error
  webhooks retry <deliveryId>             due again now, same webhook-id
  help                                    this text

Store options (every command):
  --data-dir ./.wiresocket                env WIRESOCKET_DATA_DIR
  --db-url URL                            env WIRESOCKET_DB_URL (file:, libsql:, http(s):, or
                                          postgres://user:password@host:5432/db for PostgreSQL)
  --db-auth-token TOKEN                   env WIRESOCKET_DB_AUTH_TOKEN (libSQL/Turso only)

Every serve option also reads WIRESOCKET_<NAME> (e.g. WIRESOCKET_PORT); a flag wins over its
variable, a variable over the default.
Exit codes: 0 ok, 1 the action failed, 2 usage or configuration error.
`;

/** `--help` on any command: the usage text on stdout, exit 0. */
export function printUsage(stdout: { write(text: string): unknown }): number {
  stdout.write(usageText);
  return 0;
}
