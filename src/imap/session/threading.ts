// THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 §3), step by step as the RFC numbers them. Pure: the
// command hands in what it read of each matching message (in sequence order) and encodes the trees it gets back.
import type { ThreadNode } from '../encoder.js';
import { baseSubject, collationKey, compareKeys } from './base-subject.js';

export interface ThreadMessage {
  readonly seq: number;
  /** The number the answer reports: the sequence number for THREAD, the UID for UID THREAD. */
  readonly number: number;
  /** Sent date (RFC 5256 §2.2, already falling back to the internal date), ms since epoch. */
  readonly sent: number;
  /** Subject header, RFC 2047 decoded; null when absent. */
  readonly subject: string | null;
  readonly messageId: string | null;
  readonly references: string | null;
  readonly inReplyTo: string | null;
}

interface Prepared {
  readonly seq: number;
  readonly number: number;
  readonly sent: number;
  /** collation key of the base subject */
  readonly subject: string;
  readonly isReply: boolean;
}

function prepare(m: ThreadMessage): Prepared {
  const { base, isReply } = baseSubject(m.subject);
  return { seq: m.seq, number: m.number, sent: m.sent, subject: collationKey(base), isReply };
}

/** RFC 5256 §2.2: by sent date, exact ties by sequence number. */
function byDate(a: Prepared, b: Prepared): number {
  return a.sent - b.sent || a.seq - b.seq;
}

// ---------------------------------------------------------------- message IDs

/**
 * The msg-ids (RFC 5322 §3.6.4) in a Message-ID / In-Reply-To / References value, normalised as RFC 5256 §3
 * requires: quotes and the whitespace outside them are dropped inside the angle brackets, so <"a"@x> equals
 * <a@x>. Comments outside brackets are skipped; an id without text on both sides of "@" is not valid.
 */
export function messageIds(value: string | null): string[] {
  const ids: string[] = [];
  if (value === null) return ids;
  if (!/["(\\]/.test(value)) {
    // No quoting and no comments: the usual case, without the character walk below.
    for (let close = value.indexOf('>'); close >= 0; close = value.indexOf('>', close + 1)) {
      const open = value.lastIndexOf('<', close);
      if (open < 0) continue;
      let id = value.slice(open + 1, close);
      if (/\s/.test(id)) id = id.replace(/\s+/g, '');
      const at = id.lastIndexOf('@');
      if (at > 0 && at < id.length - 1 && !id.includes('>')) ids.push(id);
    }
    return ids;
  }
  let i = 0;
  const n = value.length;
  while (i < n) {
    const ch = value[i];
    if (ch === '(') {
      // A comment, possibly nested, with quoted-pairs.
      let depth = 0;
      for (; i < n; i++) {
        const c = value[i];
        if (c === '\\') i++;
        else if (c === '(') depth++;
        else if (c === ')' && --depth === 0) break;
      }
      i++;
    } else if (ch === '<') {
      let id = '';
      let quoted = false;
      let closed = false;
      for (i++; i < n; i++) {
        const c = value[i] ?? '';
        if (quoted && c === '\\') id += value[++i] ?? '';
        else if (c === '"') quoted = !quoted;
        else if (!quoted && c === '<') id = ''; // an unclosed "<" before: start again here
        else if (!quoted && c === '>') {
          closed = true;
          break;
        } else if (quoted || !/\s/.test(c)) id += c;
      }
      i++;
      const at = id.lastIndexOf('@');
      if (closed && at > 0 && at < id.length - 1) ids.push(id);
    } else i++;
  }
  return ids;
}

// ---------------------------------------------------------------- ORDEREDSUBJECT

/**
 * RFC 5256 §3 ORDEREDSUBJECT: sort by base subject then sent date; one thread per base subject, its first message
 * the root and every later one a child of it; threads ordered by the sent date of their first message.
 */
export function orderedSubject(messages: readonly ThreadMessage[]): ThreadNode[] {
  const sorted = messages.map(prepare).sort((a, b) => compareKeys(a.subject, b.subject) || byDate(a, b));
  const threads: Prepared[][] = [];
  for (const m of sorted) {
    const current = threads[threads.length - 1];
    if (current?.[0]?.subject === m.subject) current.push(m);
    else threads.push([m]);
  }
  return threads
    .map((t) => ({ first: t[0] as Prepared, rest: t.slice(1) }))
    .sort((a, b) => byDate(a.first, b.first))
    .map(({ first, rest }) => ({ number: first.number, children: rest.map((m) => ({ number: m.number, children: [] })) }));
}

// ---------------------------------------------------------------- REFERENCES

interface Container {
  msg: Prepared | null;
  parent: Container | null;
  children: Container[];
}

function container(msg: Prepared | null = null): Container {
  return { msg, parent: null, children: [] };
}

/** True when `a` is `b` or below it. */
function isWithin(a: Container, b: Container): boolean {
  if (b.children.length === 0) return a === b; // the common case, without walking up a long chain
  for (let x: Container | null = a; x; x = x.parent) if (x === b) return true;
  return false;
}

function unlink(child: Container): void {
  const parent = child.parent;
  if (!parent) return;
  parent.children.splice(parent.children.indexOf(child), 1);
  child.parent = null;
}

function adopt(parent: Container, child: Container): void {
  unlink(child);
  child.parent = parent;
  parent.children.push(child);
}

/** The message a container sorts and is named by: itself, or the first child of a dummy (RFC 5256 §3 steps 4–6). */
function representative(c: Container): Prepared | null {
  for (let x: Container | undefined = c; x; x = x.children[0]) if (x.msg) return x.msg;
  return null;
}

function compareContainers(a: Container, b: Container): number {
  const x = representative(a);
  const y = representative(b);
  return x && y ? byDate(x, y) : 0;
}

/**
 * Every container below `roots`, each one after all of its descendants. The trees are walked with an explicit
 * stack: a reply chain thousands of messages deep must not exhaust the call stack.
 */
function childrenFirst(roots: readonly Container[]): Container[] {
  const order: Container[] = [];
  const stack = [...roots];
  for (let c = stack.pop(); c; c = stack.pop()) {
    order.push(c);
    for (const child of c.children) stack.push(child); // no spread: a dummy may hold very many children
  }
  return order.reverse();
}

/** Sorts every set of siblings by sent date, children before their parents (RFC 5256 §3 step 6). */
function sortTree(roots: Container[]): void {
  for (const c of childrenFirst(roots)) c.children.sort(compareContainers);
  roots.sort(compareContainers);
}

/**
 * Step 3 for one set of siblings whose own children are pruned already: dummies without children go; a dummy's
 * children take its place, except that several children are not promoted to the root (the dummy stays and holds
 * them together).
 */
function pruneSiblings(list: readonly Container[], atRoot: boolean): Container[] {
  const kept: Container[] = [];
  for (const c of list) {
    if (c.msg) kept.push(c);
    else if (c.children.length > 0) {
      if (atRoot && c.children.length > 1) kept.push(c);
      else for (const child of c.children) kept.push(child);
    }
  }
  return kept;
}

function prune(roots: readonly Container[]): Container[] {
  for (const c of childrenFirst(roots)) {
    c.children = pruneSiblings(c.children, false);
    for (const child of c.children) child.parent = c;
  }
  const kept = pruneSiblings(roots, true);
  for (const c of kept) c.parent = null;
  return kept;
}

/** The thread subject of a root child (step 5.B.i): its base subject, or its first child's for a dummy. */
function threadSubject(c: Container): string {
  return representative(c)?.subject ?? '';
}

/** RFC 5256 §3 REFERENCES, steps 1–6. `messages` in sequence order. */
export function referencesThreads(messages: readonly ThreadMessage[]): ThreadNode[] {
  const byId = new Map<string, Container>();
  const lookup = (id: string): Container => {
    let c = byId.get(id);
    if (!c) {
      c = container(); // a dummy until a message with this ID turns up
      byId.set(id, c);
    }
    return c;
  };
  const all: Container[] = [];
  for (const m of [...messages].sort((a, b) => a.seq - b.seq)) {
    const prepared = prepare(m);
    // (1.A) A missing or duplicate Message-ID gets a unique one: a container nobody can reference.
    const id = messageIds(m.messageId)[0];
    let own = id === undefined ? undefined : lookup(id);
    if (own && own.msg === null) own.msg = prepared;
    else own = container(prepared);
    all.push(own);
    let refs = messageIds(m.references);
    if (refs.length === 0) refs = messageIds(m.inReplyTo).slice(0, 1);
    const chain = refs.map(lookup);
    for (let i = 1; i < chain.length; i++) {
      const parent = chain[i - 1] as Container;
      const child = chain[i] as Container;
      // An existing link stays (the References line may have been truncated); no link may close a loop.
      if (child.parent === null && !isWithin(parent, child)) adopt(parent, child);
    }
    // (1.B) The last reference is the parent, replacing any link made before.
    unlink(own);
    const last = chain[chain.length - 1];
    if (last && !isWithin(last, own)) adopt(last, own);
  }
  // Containers still without a message are the dummies (the others are in `all` already).
  for (const c of byId.values()) if (!c.msg) all.push(c);

  // (2) the parentless containers are the root's children; (3) prune dummies; (4) sort by sent date.
  let root = prune(all.filter((c) => c.parent === null));
  sortTree(root);

  // (5) gather threads whose thread subjects are equal.
  const table = new Map<string, Container>();
  for (const c of root) {
    const subject = threadSubject(c);
    if (subject === '') continue;
    const held = table.get(subject);
    if (!held) table.set(subject, c);
    else if (held.msg && (!c.msg || (held.msg.isReply && !c.msg.isReply))) table.set(subject, c);
  }
  const merged: Container[] = [];
  /** Where each thread went in `merged`, and the dummy that took over a thread not reached yet. */
  const placed = new Map<Container, number>();
  const wrapped = new Map<Container, Container>();
  for (const c of root) {
    if (c.parent) {
      // Put under a new dummy before its turn came: the dummy takes its place.
      const dummy = wrapped.get(c);
      if (dummy) {
        placed.set(dummy, merged.length);
        merged.push(dummy);
      }
      continue;
    }
    const subject = threadSubject(c);
    const held = subject === '' ? undefined : table.get(subject);
    if (!held || held === c) {
      placed.set(c, merged.length);
      merged.push(c);
      continue;
    }
    if (!held.msg && !c.msg) {
      for (const child of c.children) {
        child.parent = held;
        held.children.push(child);
      }
      c.children = [];
    } else if (!held.msg || (c.msg?.isReply && !held.msg.isReply)) {
      adopt(held, c);
    } else {
      const dummy = container();
      adopt(dummy, held);
      adopt(dummy, c);
      table.set(subject, dummy);
      // The dummy takes the held thread's place among the root's children.
      const at = placed.get(held);
      if (at === undefined) wrapped.set(held, dummy);
      else {
        merged[at] = dummy;
        placed.set(dummy, at);
      }
    }
  }
  root = merged;

  // (6) sort every set of siblings by sent date.
  sortTree(root);
  return toNodes(root);
}

function toNodes(roots: readonly Container[]): ThreadNode[] {
  const nodes = new Map<Container, ThreadNode>();
  const nodeOf = (c: Container): ThreadNode => nodes.get(c) as ThreadNode;
  for (const c of childrenFirst(roots)) nodes.set(c, { number: c.msg ? c.msg.number : null, children: c.children.map(nodeOf) });
  return roots.map(nodeOf);
}
