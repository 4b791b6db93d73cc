// One session of Python's imaplib (a real, widely used IMAP client library), run by imaplib_session.py and driven
// call by call from a test: each call returns what an imaplib user sees (typ, data, untagged responses).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./imaplib_session.py', import.meta.url));

/** imaplib's values with bytes as latin1 text and (response, literal) tuples as arrays. */
export type Plain = string | null | number | Plain[];

export interface Answer {
  /** 'OK' / 'NO' (a tagged BAD raises in imaplib: see `error`), '+' for a continuation. */
  typ: string | null;
  data: Plain;
  /** imaplib's untagged_responses after the call, by response name. */
  untagged: Record<string, Plain[]>;
  /** The server's lines as imaplib read them (for failure messages). */
  wire: string[];
  error: string | null;
  /** The tag of the last command sent. */
  tag: string;
}

export class ImaplibSession {
  private nextId = 1;
  private pending = new Map<number, (a: Answer) => void>();
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => (this.stderr += t));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as Answer & { id: number };
      this.pending.get(answer.id)?.(answer);
      this.pending.delete(answer.id);
    });
    const fail = (why: string): void => {
      for (const [, resolve] of this.pending) resolve({ typ: null, data: null, untagged: {}, wire: [], tag: '', error: `${why}: ${this.stderr}` });
      this.pending.clear();
    };
    child.on('exit', () => fail('imaplib session exited'));
    child.on('error', (err) => fail(`could not run python3 (${err.message})`));
    child.stdin.on('error', () => fail('imaplib session gone'));
  }

  static open(port: number): ImaplibSession {
    return new ImaplibSession(spawn('python3', [SCRIPT, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** Calls an imaplib.IMAP4 method (or a step of imaplib_session.py); a Buffer argument is passed as bytes, `literal`
   * is sent as imaplib's literal. */
  call(method: string, args: (string | number | Buffer | null)[] = [], literal?: string | Buffer): Promise<Answer> {
    const id = this.nextId++;
    const lit = literal === undefined ? null : Buffer.isBuffer(literal) ? literal.toString('latin1') : literal;
    if (this.child.exitCode !== null || this.child.signalCode !== null || !this.child.stdin.writable) {
      return Promise.resolve({ typ: null, data: null, untagged: {}, wire: [], tag: '', error: `imaplib session ended: ${this.stderr}` });
    }
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ id, call: method, args: args.map((a) => (a === null ? null : Buffer.isBuffer(a) ? { bytes: a.toString('latin1') } : String(a))), literal: lit })}\n`);
    });
  }

  /** Ends the session: stdin closes, the script returns. One stuck reading the socket (a test that failed while
   * the server owed it an answer) is stopped instead. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    const stuck = setTimeout(() => this.child.kill(), 2000);
    await exited;
    clearTimeout(stuck);
  }
}
