import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

/** The credentials s3rver accepts; the AWS SDK reads them from the environment. */
export const s3rverCredentials = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' } as const;

export interface S3Server {
  /** `http://127.0.0.1:<port>` (an `--archive-s3-endpoint`). */
  endpoint: string;
  port: number;
  bucket: string;
  /** Stops serving (a fault: the store goes away); `start` serves the same directory again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops and removes its directory. */
  close(): Promise<void>;
}

/** s3rver on a free loopback port with a temporary directory and one bucket. */
export async function startS3Server(bucket = 'archive'): Promise<S3Server> {
  Object.assign(process.env, s3rverCredentials);
  const directory = await mkdtemp(path.join(tmpdir(), 'wiresocket-s3-'));
  const make = (port: number) => new S3rver({ address: '127.0.0.1', port, directory, silent: true, configureBuckets: [{ name: bucket }] });
  let server: S3rver | null = make(0);
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    stop: async () => {
      await server?.close();
      server = null;
    },
    start: async () => {
      server = make(port);
      await server.run();
    },
    close: async () => {
      await server?.close();
      server = null;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
