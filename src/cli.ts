// The `stratus` command: run the service, and manage users on the same data directory (or AWS tables).
//   stratus serve
//   stratus user add alice@example.com --password S3cret
//   stratus user passwd alice@example.com --password N3w
//   stratus user list [--domain example.com]
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline/promises';
import { loadConfig, ConfigError } from './config.js';
import { openStore } from './server/store.js';
import { addUser, listUsers, setPassword } from './mailstore/directory.js';
import { MailStoreError } from './mailstore/errors.js';
import { runTenantCommand, TENANT_OPTIONS, TENANT_USAGE } from './server/tenant-commands.js';
import { MAINTENANCE_OPTIONS, runMaintenance } from './server/maintenance.js';

const USAGE = `Usage:
  stratus serve                                   run the service (configured by STRATUS_* variables)
  stratus user add <login> [--password <pw>]      add a user (makes the tenant for its domain when missing)
  stratus user passwd <login> [--password <pw>]   set a user's password
  stratus user list [--domain <domain>]           list users
  stratus admin token                             print the operator's admin API token
${TENANT_USAGE}
  stratus fsck [--user <login> | --tenant <id> | --all] [--repair] [--json] [--grace-hours N]
                                                  check the storage invariants (and repair counters, orphans)
  stratus gc [--user <login> | --tenant <id> | --all] [--grace-hours N] [--dry-run] [--json]
                                                  delete unreferenced message bodies older than the grace period
Without --password, the password is read from standard input.`;

async function readPassword(given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  if (process.stdin.isTTY) process.stderr.write('Password: ');
  for await (const line of rl) {
    rl.close();
    return line;
  }
  throw new Error('no password given');
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      password: { type: 'string' },
      domain: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...MAINTENANCE_OPTIONS,
      ...TENANT_OPTIONS,
    },
  });
  const [command, sub, login] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  const config = loadConfig();
  if (command === 'serve') {
    const { serve } = await import('./server/main.js'); // the CLI's user commands need no listener code
    await serve(config);
    return -1; // keep running
  }
  if (command === 'admin' && sub === 'token') {
    const { operatorToken } = await import('./server/admin-token.js');
    const token = operatorToken(config);
    if (!token) throw new ConfigError('No operator token: set STRATUS_ADMIN_TOKEN');
    process.stdout.write(token + '\n');
    return 0;
  }
  if (command === 'fsck' || command === 'gc') {
    const store = openStore(config);
    try {
      const logRetentionMs = config.logRetentionDays * 24 * 3600 * 1000;
      return await runMaintenance(store.ctx, command, values, (text) => process.stdout.write(text), logRetentionMs);
    } finally {
      await store.close();
    }
  }
  if (['tenant', 'domain', 'token'].includes(command) || (command === 'user' && sub === 'quota')) {
    const store = openStore(config);
    try {
      const status = await runTenantCommand(store.ctx, positionals, values, (text) => process.stdout.write(text));
      if (status !== undefined) return status;
      process.stderr.write(USAGE + '\n');
      return 2;
    } finally {
      await store.close();
    }
  }
  if (command !== 'user' || !sub) {
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  const store = openStore(config);
  try {
    if (sub === 'add' && login) {
      const user = await addUser(store.ctx, login, await readPassword(values.password));
      process.stdout.write(`added ${user.login} (tenant ${user.tenantId})\n`);
    } else if (sub === 'passwd' && login) {
      await setPassword(store.ctx, login, await readPassword(values.password));
      process.stdout.write(`password changed for ${login.toLowerCase()}\n`);
    } else if (sub === 'list') {
      for (const user of await listUsers(store.ctx, values.domain)) {
        process.stdout.write(`${user.login}\t${user.usageMessages} messages\t${user.usageBytes} bytes\n`);
      }
    } else {
      process.stderr.write(USAGE + '\n');
      return 2;
    }
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof MailStoreError || err instanceof ConfigError) {
      process.stderr.write(`stratus: ${err.message}\n`);
      process.exitCode = 1;
    } else if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`stratus: ${err.message}\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`stratus: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
    // A `serve` that failed half way (one listener up, the next port taken) must not linger: nothing else ends it.
    process.exit();
  },
);
