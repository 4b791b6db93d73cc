// Short-lived URLs for message bytes (DESIGN.md "The ports"): a function issues them after its ownership check, so
// a frontend reads and writes bodies with plain HTTP and needs no S3 permission of its own.

export interface BlobUrls {
  /** A URL that GETs the object (a `Range` header is honoured) until it expires. */
  getUrl(key: string): Promise<string>;
  /** A URL that PUTs exactly `length` bytes as the object until it expires. */
  putUrl(key: string, length: number): Promise<string>;
}
