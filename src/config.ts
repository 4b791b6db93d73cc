// One typed configuration, read from the environment once. Every knob of the service is here and in README.md.
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { OAuthSettings } from './auth/oauth-jwt.js';
import { parseFaultSpec, type FaultSpec } from './storage/faulty.js';
import { DEFAULT_LOG_RETENTION_DAYS } from './mailstore/log-retention.js';

export type Port = number | 'off';

export interface Config {
  dataDir: string;
  host: string;
  imapPort: Port;
  /** The admin REST API (src/admin); 'off' disables it. */
  adminPort: Port;
  /** The operator's admin token; when unset the embedded backend keeps one in the data directory. */
  adminToken?: string;
  /**
   * IMAPS, implicit TLS (RFC 8314); 'off' disables it. Default 1993, or 0 (any free port) when STRATUS_IMAP_PORT
   * is 0, so tests that ask for ephemeral ports never collide on 1993.
   */
  imapsPort: Port;
  /** PEM certificate and key for IMAPS and STARTTLS; unset: a self-signed pair made under `<dataDir>/tls/`. */
  tlsCert?: string;
  tlsKey?: string;
  /**
   * STARTTLS on the plain IMAP port (STRATUS_STARTTLS=on/off/auto). Auto (unset): offered where plaintext
   * authentication is refused without TLS, or a real certificate is configured; not on a loopback listener with the
   * self-signed certificate, where clients that upgrade opportunistically would fail on the unknown certificate.
   */
  startTls?: boolean;
  /** IMAP behind a load balancer that terminated TLS (NLB 993): sessions count as secure. 'off' by default. */
  imapTlsOffloadPort: Port;
  /** POP3 (RFC 1939); 'off' disables it. STLS (RFC 2595) on it follows the STARTTLS policy (`startTls`). */
  pop3Port: Port;
  /**
   * POP3S, implicit TLS (RFC 8314); 'off' disables it. Default 1995, or 0 (any free port) when STRATUS_POP3_PORT
   * is 0, or 'off' when STRATUS_POP3_PORT is 'off'.
   */
  pop3sPort: Port;
  /** LMTP (RFC 2033) for inbound mail from an MTA; 'off' disables it. */
  lmtpPort: Port;
  /** LOGIN / AUTHENTICATE PLAIN without TLS: allowed on loopback listeners unless set otherwise. */
  allowPlaintextAuth: boolean;
  backend: 'embedded' | 'aws';
  aws: {
    region: string;
    dynamodbEndpoint?: string;
    s3Endpoint?: string;
    /** SQS endpoint override (tests: the S3 stand-in serves SQS too); unset: the region's endpoint. */
    sqsEndpoint?: string;
    tables: { mail: string; msgmeta: string };
    bucket: string;
  };
  /** Where the SES receipt rule's S3 action stores inbound mail (used when its event names no S3 action). */
  ingest: { bucket: string; prefix: string };
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
  /** Redis (or Valkey) URL for change hints between processes; unset: in-process hints only (one process). */
  redisUrl?: string;
  /** `* OK Still here` interval during IDLE, in ms (below load-balancer idle timeouts). */
  idleKeepaliveMs: number;
  /** Safety poll of every selected mailbox's META, in ms, covering lost hints (0: off). */
  mailboxPollMs: number;
  /** How the frontend reaches the functions: in this process, or the deployed Lambdas (names per family). */
  functions: 'inline' | 'lambda';
  /** Lambda function name per family, from STRATUS_FUNCTION_<FAMILY> (e.g. STRATUS_FUNCTION_AUTH). */
  functionNames: Record<string, string>;
  /** Lambda API endpoint override (tests); unset: the region's endpoint. */
  lambdaEndpoint?: string;
  lambdaTimeoutMs: number;
  /**
   * The SQS FIFO queue of search-segment seal requests (src/server/seal-requests.ts): set on the Lambda functions that
   * commit UIDs in AWS, whose seals then run in the seal function; unset: seals run in this process (SealQueue).
   */
  sealQueueUrl?: string;
  /** HTTP GET /health for the load balancer: 200 while serving, 503 while draining; 'off' by default. */
  healthPort: Port;
  /** With S3: functions hand out presigned URLs valid this many seconds for message bytes (0: direct access). */
  presignSeconds: number;
  /** `stratus serve` processes sharing the listeners (node:cluster); hints between them over IPC. 1: no workers. */
  workers: number;
  /**
   * Worker threads that run the inline functions (src/server/thread-invoker.ts), each with its own store connections;
   * the event loop then only speaks IMAP/POP3. 0: the functions run on the event loop (inline invoker).
   */
  functionThreads: number;
  /** OAUTHBEARER (RFC 7628): bearer JWTs from this issuer, verified with its JWKS; unset: OAuth sign-in is off. */
  oauth?: OAuthSettings;
  /** Failed authentications after which an IMAP connection says BYE and closes. */
  maxAuthFailures: number;
  /** Failed logins per account within `authAccountWindowMs` (all connections of a process) before refusal. */
  authAccountMaxFailures: number;
  authAccountWindowMs: number;
  /** IMAP inactivity autologout before authentication, in ms. */
  imapLoginTimeoutMs: number;
  /** IMAP inactivity autologout once authenticated, in ms (RFC 9051 §5.4: at least 30 minutes in production). */
  imapIdleTimeoutMs: number;
  /** Injected store faults for soak runs (STRATUS_FAULTS, see src/storage/faulty.ts); unset: none. */
  faults?: FaultSpec;
  /** Days a change-log item is kept before the GC sweep trims it (src/mailstore/log-retention.ts). */
  logRetentionDays: number;
  /** Abuse controls (src/server/connection-limits.ts, src/auth/sign-in-guard.ts); 0 turns one off. */
  abuse: {
    /** Open IMAP + POP3 connections per client address. */
    maxConnectionsPerIp: number;
    /** Signed-in IMAP + POP3 sessions per user. */
    maxSessionsPerUser: number;
    /** Failed logins per client address within authAccountWindowMs before the address is refused for a while. */
    maxLoginFailuresPerIp: number;
    /** Commands per second per connection, and the burst saved up; over the rate a command waits. */
    commandRate: number;
    commandBurst: number;
  };
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

/**
 * The safety poll's default (storage-design §C9 L2), by how hints can be lost. With Redis, a subscriber connection
 * that drops and comes back makes the process read every watched mailbox at once (redis-bus.ts onReconnect, wired in
 * server/main.ts), so the poll is left with what no connection loss shows: a writer that dies between its commit and
 * its publish, or a publish that fails (a Lambda's bounded flush, redis-publisher.ts). Those are rare, so 10 min: an
 * IDLE client hears of such a change within 10 min (a NOOP or CHECK catches up with the log at once), at one
 * META read per (process, watched mailbox) per 10 min. Without Redis another process's commits (Lambda writers, a
 * second frontend on the same store) reach this one only through the poll: 2 min, the design's slow end.
 */
function defaultPollMs(env: Env): number {
  return env.STRATUS_REDIS_URL ? 600_000 : 120_000;
}

export function loadConfig(env: Env = process.env): Config {
  const host = env.STRATUS_HOST || '127.0.0.1';
  const backend = env.STRATUS_BACKEND || 'embedded';
  if (backend !== 'embedded' && backend !== 'aws') throw new ConfigError(`STRATUS_BACKEND must be embedded or aws, got "${backend}"`);
  return {
    dataDir: resolve(env.STRATUS_DATA_DIR || './data'),
    host,
    imapPort: port(env, 'STRATUS_IMAP_PORT', 1143),
    adminPort: port(env, 'STRATUS_ADMIN_PORT', 8080),
    adminToken: env.STRATUS_ADMIN_TOKEN || undefined,
    imapsPort: port(env, 'STRATUS_IMAPS_PORT', env.STRATUS_IMAP_PORT === '0' ? 0 : 1993),
    tlsCert: env.STRATUS_TLS_CERT || undefined,
    tlsKey: env.STRATUS_TLS_KEY || undefined,
    startTls: bool(env, 'STRATUS_STARTTLS'),
    imapTlsOffloadPort: env.STRATUS_IMAP_TLS_OFFLOAD_PORT ? port(env, 'STRATUS_IMAP_TLS_OFFLOAD_PORT', 0) : 'off',
    pop3Port: port(env, 'STRATUS_POP3_PORT', 1110),
    pop3sPort: env.STRATUS_POP3S_PORT || env.STRATUS_POP3_PORT !== 'off' ? port(env, 'STRATUS_POP3S_PORT', env.STRATUS_POP3_PORT === '0' ? 0 : 1995) : 'off',
    lmtpPort: port(env, 'STRATUS_LMTP_PORT', 2424),
    allowPlaintextAuth: bool(env, 'STRATUS_ALLOW_PLAINTEXT_AUTH') ?? isLoopback(host),
    backend,
    aws: {
      region: env.AWS_REGION || 'us-east-1',
      dynamodbEndpoint: env.STRATUS_DYNAMODB_ENDPOINT || undefined,
      s3Endpoint: env.STRATUS_S3_ENDPOINT || undefined,
      sqsEndpoint: env.STRATUS_SQS_ENDPOINT || undefined,
      tables: { mail: env.STRATUS_TABLE_MAIL || 'stratus-mail', msgmeta: env.STRATUS_TABLE_MSGMETA || 'stratus-msgmeta' },
      bucket: env.STRATUS_S3_BUCKET || 'stratus-mail',
    },
    ingest: { bucket: env.STRATUS_INGEST_BUCKET || env.STRATUS_S3_BUCKET || 'stratus-mail', prefix: env.STRATUS_INGEST_PREFIX ?? 'inbound/' },
    tokenKey: env.STRATUS_TOKEN_KEY || undefined,
    maxMessageBytes: int(env, 'STRATUS_MAX_MESSAGE_BYTES', 64 * 1024 * 1024, 1024),
    maxLineBytes: int(env, 'STRATUS_MAX_LINE_BYTES', 64 * 1024, 1024),
    maxLiteralBytes: int(env, 'STRATUS_MAX_LITERAL_BYTES', 64 * 1024, 1024),
    authFailureDelayMs: int(env, 'STRATUS_AUTH_FAILURE_DELAY_MS', 1000, 0),
    logLevel: env.STRATUS_LOG_LEVEL || 'info',
    stats: bool(env, 'STRATUS_STATS') ?? false,
    redisUrl: env.STRATUS_REDIS_URL || undefined,
    idleKeepaliveMs: int(env, 'STRATUS_IDLE_KEEPALIVE_MS', 120_000, 100),
    mailboxPollMs: int(env, 'STRATUS_MAILBOX_POLL_MS', defaultPollMs(env), 0),
    functions: functionsMode(env),
    functionNames: functionNames(env),
    lambdaEndpoint: env.STRATUS_LAMBDA_ENDPOINT || undefined,
    lambdaTimeoutMs: int(env, 'STRATUS_LAMBDA_TIMEOUT_MS', 30_000, 100),
    sealQueueUrl: env.STRATUS_SEAL_QUEUE_URL || undefined,
    healthPort: env.STRATUS_HEALTH_PORT ? port(env, 'STRATUS_HEALTH_PORT', 0) : 'off',
    presignSeconds: int(env, 'STRATUS_PRESIGN_SECONDS', 0, 0),
    workers: env.STRATUS_WORKERS === 'auto' ? availableParallelism() : int(env, 'STRATUS_WORKERS', 1, 1),
    functionThreads: int(env, 'STRATUS_FUNCTION_THREADS', 0, 0),
    // At least a day: far above the GC's own log window, a commit's timeout and the snapshot-refresh horizon.
    logRetentionDays: int(env, 'STRATUS_LOG_RETENTION_DAYS', DEFAULT_LOG_RETENTION_DAYS, 1),
    oauth: oauthSettings(env),
    maxAuthFailures: int(env, 'STRATUS_MAX_AUTH_FAILURES', 5, 1),
    authAccountMaxFailures: int(env, 'STRATUS_AUTH_ACCOUNT_MAX_FAILURES', 20, 1),
    authAccountWindowMs: int(env, 'STRATUS_AUTH_ACCOUNT_WINDOW_MS', 15 * 60_000, 1000),
    imapLoginTimeoutMs: int(env, 'STRATUS_IMAP_LOGIN_TIMEOUT_MS', 60_000, 100),
    imapIdleTimeoutMs: int(env, 'STRATUS_IMAP_IDLE_TIMEOUT_MS', 30 * 60_000, 100),
    faults: faultSpec(env),
    abuse: {
      maxConnectionsPerIp: int(env, 'STRATUS_MAX_CONNECTIONS_PER_IP', 200, 0),
      maxSessionsPerUser: int(env, 'STRATUS_MAX_SESSIONS_PER_USER', 50, 0),
      maxLoginFailuresPerIp: int(env, 'STRATUS_MAX_LOGIN_FAILURES_PER_IP', 100, 0),
      commandRate: int(env, 'STRATUS_COMMAND_RATE', 500, 0),
      commandBurst: int(env, 'STRATUS_COMMAND_BURST', 1000, 1),
    },
  };
}

function faultSpec(env: Env): FaultSpec | undefined {
  try {
    return parseFaultSpec(env.STRATUS_FAULTS);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function oauthSettings(env: Env): OAuthSettings | undefined {
  const issuer = env.STRATUS_OAUTH_ISSUER;
  const jwksUrl = env.STRATUS_OAUTH_JWKS_URL || undefined;
  const jwksFile = env.STRATUS_OAUTH_JWKS_FILE || undefined;
  if (!issuer) {
    if (jwksUrl || jwksFile) throw new ConfigError('STRATUS_OAUTH_JWKS_URL / _FILE need STRATUS_OAUTH_ISSUER');
    return undefined;
  }
  if (!jwksUrl === !jwksFile) throw new ConfigError('STRATUS_OAUTH_ISSUER needs exactly one of STRATUS_OAUTH_JWKS_URL and STRATUS_OAUTH_JWKS_FILE');
  return {
    issuer,
    ...(jwksUrl ? { jwksUrl } : {}),
    ...(jwksFile ? { jwksFile: resolve(jwksFile) } : {}),
    ...(env.STRATUS_OAUTH_AUDIENCE ? { audience: env.STRATUS_OAUTH_AUDIENCE } : {}),
  };
}

function functionsMode(env: Env): 'inline' | 'lambda' {
  const raw = env.STRATUS_FUNCTIONS || 'inline';
  if (raw !== 'inline' && raw !== 'lambda') throw new ConfigError(`STRATUS_FUNCTIONS must be inline or lambda, got "${raw}"`);
  return raw;
}

function functionNames(env: Env): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const m = /^STRATUS_FUNCTION_([A-Z0-9]+)$/.exec(name);
    // STRATUS_FUNCTION_THREADS is the thread count (functionThreads), not a function family's name.
    if (m && value && m[1] !== 'THREADS') names[m[1]!.toLowerCase()] = value;
  }
  return names;
}
