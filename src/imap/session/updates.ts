// A queued view update as the wire response that announces it (encoder.ts writes it).
import type { ResponsePiece } from '../encoder.js';
import { existsData, expungeData, fetchResponse, flagsData, recentData, vanishedData } from '../encoder.js';
import type { FetchValue } from '../encoder.js';
import type { ViewUpdate } from './mailbox-view.js';

export function updateResponse(update: ViewUpdate): string | readonly ResponsePiece[] {
  switch (update.kind) {
    case 'expunge':
      return expungeData(update.seq);
    case 'vanished':
      return vanishedData(update.uids, false);
    case 'exists':
      return existsData(update.count);
    case 'recent':
      return recentData(update.count);
    case 'flags':
      return flagsData(update.flags);
    case 'fetch': {
      // RFC 9586 §3.6: under UIDONLY `* uid UIDFETCH (FLAGS …)`, the UID in front instead of a sequence number.
      const values: FetchValue[] = update.uidFetch ? [] : [{ name: 'UID', uid: update.uid }];
      values.push({ name: 'FLAGS', flags: update.flags });
      if (update.modseq !== undefined) values.push({ name: 'MODSEQ', modSeq: update.modseq });
      return update.uidFetch ? fetchResponse(update.uid, values, true) : fetchResponse(update.seq, values);
    }
  }
}
