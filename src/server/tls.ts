// TLS for the IMAP and POP3 listeners (RFC 8314 implicit TLS, RFC 9051 §6.2.1 STARTTLS, RFC 2595 STLS): one secure
// context per process, TLS 1.2 or newer only. Certificates come from STRATUS_TLS_CERT / STRATUS_TLS_KEY (PEM
// files); without them a self-signed certificate is made on first start under the data directory (tls/cert.pem,
// tls/key.pem, key 0600) with Debian's `openssl` CLI and reused afterwards.
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Where the certificate came from, for the log. */
  source: 'configured' | 'generated' | 'data-dir';
  certPath: string;
}

export interface TlsOptions {
  dataDir: string;
  certPath?: string;
  keyPath?: string;
  /** Subject CN / subjectAltName host of a generated certificate. */
  hostname?: string;
}

const exists = async (path: string): Promise<boolean> => {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
};

/** Loads the configured certificate, or the data directory's, making a self-signed one first when there is none. */
export async function loadTlsMaterial(options: TlsOptions): Promise<TlsMaterial> {
  if (options.certPath !== undefined || options.keyPath !== undefined) {
    if (options.certPath === undefined || options.keyPath === undefined) {
      throw new Error('STRATUS_TLS_CERT and STRATUS_TLS_KEY must be given together');
    }
    return { cert: await readFile(options.certPath), key: await readFile(options.keyPath), source: 'configured', certPath: options.certPath };
  }
  const dir = join(options.dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  let source: TlsMaterial['source'] = 'data-dir';
  if (!(await exists(certPath)) || !(await exists(keyPath))) {
    await generateSelfSigned(dir, certPath, keyPath, options.hostname ?? 'localhost');
    source = 'generated';
  }
  return { cert: await readFile(certPath), key: await readFile(keyPath), source, certPath };
}

/**
 * A self-signed ECDSA P-256 certificate valid ten years, for localhost / 127.0.0.1 and the configured host. The pair
 * is made in a private directory that is renamed to `tls/` in one step, so processes starting together on one data
 * directory end up sharing one matching pair (the loser of the rename throws its own away).
 */
async function generateSelfSigned(dir: string, certPath: string, keyPath: string, hostname: string): Promise<void> {
  const staging = `${dir}.${process.pid}.${Date.now()}.tmp`;
  await mkdir(staging, { recursive: true, mode: 0o700 });
  const names = new Set(['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']);
  if (hostname && hostname !== '0.0.0.0' && hostname !== '::') names.add(/^[\d.]+$|:/.test(hostname) ? `IP:${hostname}` : `DNS:${hostname}`);
  try {
    const stagedKey = join(staging, basename(keyPath));
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', stagedKey, '-out', join(staging, basename(certPath)), '-days', '3650',
      '-subj', '/CN=Stratus self-signed', '-addext', `subjectAltName=${[...names].join(',')}`,
    ]);
    await chmod(stagedKey, 0o600);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`could not make a self-signed certificate with openssl (set STRATUS_TLS_CERT/STRATUS_TLS_KEY): ${message}`);
  }
  try {
    await rename(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    // Another process made the pair first: use it.
    if ((await exists(certPath)) && (await exists(keyPath))) return;
    throw err;
  }
}

/**
 * Mozilla's "intermediate" server configuration (ssl-config.mozilla.org, v5.7): TLS 1.3's suites, and for TLS 1.2
 * only forward-secret AEAD suites (ECDHE/DHE with AES-GCM or ChaCha20-Poly1305). No CBC, RC4, 3DES, static-RSA key
 * exchange, export or anonymous suites; and nothing below TLS 1.2 (RFC 8996 deprecates 1.0 and 1.1).
 */
export const TLS_POLICY = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
    'DHE-RSA-AES128-GCM-SHA256',
    'DHE-RSA-AES256-GCM-SHA384',
    'DHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  honorCipherOrder: true,
} as const;

/** The server's secure context (STARTTLS, STLS): TLS 1.2 or newer with the policy's ciphers only. */
export function secureContext(material: TlsMaterial): SecureContext {
  return createSecureContext({ cert: material.cert, key: material.key, ...TLS_POLICY });
}
