import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { DocumentArchive } from './documentArchive.js';

export interface S3ArchiveOptions {
  bucket: string;
  /** Object names start with this (`''`, or ending in `/`). */
  prefix: string;
  /** An S3-compatible store (MinIO, R2, s3rver): requests go there, path-style. */
  endpoint?: string;
  /** Else the SDK's standard chain (AWS_REGION, ...); `us-east-1` when nothing names one. */
  region?: string;
}

/**
 * The archive in S3, one object per document (as y-sweet): `<prefix><base64url of the key>.yjs`.
 * The key is encoded because document names may hold `/`, `..` or characters S3 tools mangle.
 * Credentials come from the AWS SDK v3's standard chain (environment, profile, instance role).
 */
export class S3DocumentArchive implements DocumentArchive {
  readonly kind = 's3';
  private readonly client: S3Client;

  constructor(private readonly options: S3ArchiveOptions) {
    this.client = new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      // S3-compatible stores often lack the SDK's newer default checksums (aws-chunked trailers).
      ...(options.endpoint === undefined
        ? {}
        : { endpoint: options.endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }),
      // A checkpoint retried later beats one that hangs: the SDK's default retries are kept, bounded.
      maxAttempts: 3,
    });
  }

  async get(docKey: string): Promise<Uint8Array | null> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(docKey) }));
      if (!object.Body) return null;
      return await object.Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async put(docKey: string, state: Uint8Array): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(docKey), Body: state, ContentType: 'application/octet-stream' }),
    );
  }

  /** S3's DELETE answers 204 whether or not the object existed: a HEAD first says which. */
  async delete(docKey: string): Promise<boolean> {
    const target = { Bucket: this.options.bucket, Key: this.objectKey(docKey) };
    try {
      await this.client.send(new HeadObjectCommand(target));
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    await this.client.send(new DeleteObjectCommand(target));
    return true;
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private objectKey(docKey: string): string {
    return `${this.options.prefix}${Buffer.from(docKey, 'utf8').toString('base64url')}.yjs`;
  }
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404;
}
