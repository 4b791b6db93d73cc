// One typed configuration, read from the environment once. Every knob of the service is here and in README.md.
import { isIP } from 'node:net';
import { resolve } from 'node:path';

export type Port = number | 'off';

export interface Config {
  dataDir: string;
  host: string;
  imapPort: Port;
  /** LOGIN / AUTHENTICATE PLAIN without TLS: allowed on loopback listeners unless set otherwise. */
  allowPlaintextAuth: boolean;
  backend: 'embedded' | 'aws';
  aws: {
    region: string;
    dynamodbEndpoint?: string;
    s3Endpoint?: string;
    tables: { mail: string; msgmeta: string };
    bucket: string;
  };
  /** base64 token-signing key; when unset the embedded backend keeps one in the data directory. */
  tokenKey?: string;
  maxMessageBytes: number;
  maxLineBytes: number;
  /** Literals other than an APPEND message (astrings, search strings); larger ones are refused unread. */
  maxLiteralBytes: number;
  authFailureDelayMs: number;
  logLevel: string;
  /** Keep per-command store-call counts and log them at shutdown (bench/). */
  stats: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function port(env: Env, name: string, fallback: number): Port {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'off') return 'off';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${name} must be a port number or "off", got "${raw}"`);
  return n;
}

function int(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

function bool(env: Env, name: string): boolean | undefined {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '' || raw === 'auto') return undefined;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true, false or auto, got "${raw}"`);
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export function loadConfig(env: Env = process.env): Config {
  const host = env.STRATUS_HOST || '127.0.0.1';
  const backend = env.STRATUS_BACKEND || 'embedded';
  if (backend !== 'embedded' && backend !== 'aws') throw new ConfigError(`STRATUS_BACKEND must be embedded or aws, got "${backend}"`);
  return {
    dataDir: resolve(env.STRATUS_DATA_DIR || './data'),
    host,
    imapPort: port(env, 'STRATUS_IMAP_PORT', 1143),
    allowPlaintextAuth: bool(env, 'STRATUS_ALLOW_PLAINTEXT_AUTH') ?? isLoopback(host),
    backend,
    aws: {
      region: env.AWS_REGION || 'us-east-1',
      dynamodbEndpoint: env.STRATUS_DYNAMODB_ENDPOINT || undefined,
      s3Endpoint: env.STRATUS_S3_ENDPOINT || undefined,
      tables: { mail: env.STRATUS_TABLE_MAIL || 'stratus-mail', msgmeta: env.STRATUS_TABLE_MSGMETA || 'stratus-msgmeta' },
      bucket: env.STRATUS_S3_BUCKET || 'stratus-mail',
    },
    tokenKey: env.STRATUS_TOKEN_KEY || undefined,
    maxMessageBytes: int(env, 'STRATUS_MAX_MESSAGE_BYTES', 64 * 1024 * 1024, 1024),
    maxLineBytes: int(env, 'STRATUS_MAX_LINE_BYTES', 64 * 1024, 1024),
    maxLiteralBytes: int(env, 'STRATUS_MAX_LITERAL_BYTES', 64 * 1024, 1024),
    authFailureDelayMs: int(env, 'STRATUS_AUTH_FAILURE_DELAY_MS', 1000, 0),
    logLevel: env.STRATUS_LOG_LEVEL || 'info',
    stats: bool(env, 'STRATUS_STATS') ?? false,
  };
}
