// Presigned S3 URLs (SigV4 query signing) for the BlobUrls port. The URLs carry the signer's authority — in AWS the
// function's role — for `expiresIn` seconds and for one object and one method only.
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BlobUrls } from '../blob-urls.js';

export interface S3UrlsOptions {
  client: S3Client;
  bucket: string;
  /** The same key prefix as the S3Blob that stores the objects. */
  prefix?: string;
  expiresIn: number;
}

export class S3Urls implements BlobUrls {
  constructor(private readonly options: S3UrlsOptions) {}

  private objectKey(key: string): string {
    return `${this.options.prefix ?? ''}${key}`;
  }

  getUrl(key: string): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) });
    return getSignedUrl(this.options.client, command, { expiresIn: this.options.expiresIn });
  }

  putUrl(key: string, length: number): Promise<string> {
    const command = new PutObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key), ContentLength: length });
    // Content-Length is signed: the URL stores exactly `length` bytes or nothing.
    return getSignedUrl(this.options.client, command, { expiresIn: this.options.expiresIn, signableHeaders: new Set(['content-length']) });
  }
}
