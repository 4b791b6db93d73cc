// UIDONLY (RFC 9586): once enabled, a command that names messages by sequence number is a BAD [UIDREQUIRED] (§3,
// §3.2, §3.5, §3.7, §3.8). One check before dispatch instead of one in every command; the responses' side (UIDFETCH,
// VANISHED, no UNSEEN) is in the view, updates.ts and the commands that answer FETCH.
import type { Command, SearchKey } from '../command.js';
import { bad } from '../response-codes.js';

function namesSequenceNumbers(key: SearchKey): boolean {
  switch (key.kind) {
    case 'seq':
      return true;
    case 'and':
      return key.keys.some(namesSequenceNumbers);
    case 'or':
      return namesSequenceNumbers(key.left) || namesSequenceNumbers(key.right);
    case 'not':
      return namesSequenceNumbers(key.key);
    default:
      return false;
  }
}

/** Throws BAD [UIDREQUIRED] when `command` uses message sequence numbers. */
export function requireUids(command: Command): void {
  let numbered = false;
  switch (command.name) {
    case 'FETCH':
    case 'STORE':
    case 'COPY':
    case 'MOVE':
      numbered = !command.uid;
      break;
    case 'SEARCH':
    case 'SORT':
    case 'THREAD':
      numbered = !command.uid || namesSequenceNumbers(command.key);
      break;
    case 'SELECT':
    case 'EXAMINE':
      // §3.7: the fourth QRESYNC parameter (message sequence match data) is sequence numbers.
      numbered = command.qresync?.seqMatch !== undefined;
      break;
    default:
      return;
  }
  if (numbered) throw bad('Message numbers are not allowed once UIDONLY is enabled', 'UIDREQUIRED');
}
