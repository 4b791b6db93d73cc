// Moving message bytes over presigned URLs (the AWS path of MailStoreClient): a streamed PUT with an exact
// Content-Length, and a GET with an optional Range. Plain node:http(s) so the body is never buffered whole and never
// sent chunked (S3 refuses chunked PUTs to presigned URLs).
import { request as httpRequest, type IncomingMessage, type ClientRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { ByteRange } from '../storage/blob.js';
import { MailStoreError } from './errors.js';

const TIMEOUT_MS = 60_000;

function open(url: string, options: RequestOptions, onResponse: (res: IncomingMessage) => void): ClientRequest {
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  const req = send(url, { ...options, timeout: TIMEOUT_MS }, onResponse);
  req.on('timeout', () => req.destroy(new Error('timed out')));
  return req;
}

async function failure(res: IncomingMessage, what: string): Promise<MailStoreError> {
  let detail = '';
  for await (const chunk of res) if (detail.length < 300) detail += String(chunk);
  return new MailStoreError('UNAVAILABLE', `${what} failed with HTTP ${res.statusCode}: ${detail.slice(0, 300)}`);
}

/** PUTs exactly `length` bytes from `body`; a stream that ends short or fails aborts the upload (nothing stored). */
export function putToUrl(url: string, body: Readable | Uint8Array, length: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    const req = open(url, { method: 'PUT', headers: { 'content-length': String(length) } }, (res) => {
      if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
        res.resume();
        res.on('end', () => done());
      } else {
        failure(res, 'Body upload').then(done, done);
      }
    });
    req.on('error', (err) => done(err instanceof MailStoreError ? err : new MailStoreError('UNAVAILABLE', `Body upload failed: ${err.message}`)));
    if (body instanceof Uint8Array) {
      if (body.byteLength !== length) {
        req.destroy(new MailStoreError('BADREQUEST', 'Message length does not match'));
        return;
      }
      req.end(body);
      return;
    }
    let sent = 0;
    body.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > length) {
        body.destroy();
        req.destroy(new MailStoreError('BADREQUEST', 'Message is longer than announced'));
        return;
      }
      if (!req.write(chunk)) {
        body.pause();
        req.once('drain', () => body.resume());
      }
    });
    body.on('end', () => {
      if (sent === length) req.end();
      else req.destroy(new MailStoreError('BADREQUEST', 'Message ended before its announced length'));
    });
    body.on('error', (err) => req.destroy(err));
  });
}

/** GETs the object, or an inclusive byte range of it (clamped by the server; past the end is empty). */
export function getFromUrl(url: string, range?: ByteRange): Promise<Readable> {
  return new Promise<Readable>((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (range) headers.range = `bytes=${range.start}-${range.end}`;
    const req = open(url, { method: 'GET', headers }, (res) => {
      if (res.statusCode === 200 || res.statusCode === 206) resolve(res);
      else if (res.statusCode === 416) {
        res.resume();
        resolve(Readable.from([]));
      } else failure(res, 'Body download').then(reject, reject);
    });
    req.on('error', (err) => reject(new MailStoreError('UNAVAILABLE', `Body download failed: ${err.message}`)));
    req.end();
  });
}
