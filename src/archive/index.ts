export type { DocumentArchive } from './documentArchive.js';
export { DocumentArchiving, type DocumentArchivingOptions } from './documentArchiving.js';
export { LibsqlDocumentArchive } from './libsqlDocumentArchive.js';
export { PostgresDocumentArchive, postgresArchiveTrack, type PostgresArchiveOptions } from './postgresDocumentArchive.js';
export { S3DocumentArchive, type S3ArchiveOptions } from './s3DocumentArchive.js';
export { acceptedArchiveUrls, openDocumentArchive, parseS3Url, type ArchiveOpenOptions } from './openDocumentArchive.js';
export { dominates } from './stateVectors.js';
