// Public surface of src/mime (imports nothing else of ours; see DESIGN.md layout).
export { indexMessage } from './index-message.js';
export { toCrlf } from './crlf.js';
export { findPart, partRange } from './section.js';
export type { ByteRange, SectionKind } from './section.js';
export { MAX_TEXT_BYTES, PREVIEW_CHARS } from './body-text.js';
export { decodeHeaderValue } from './header-cache.js';
export { parseAddressList } from './address.js';
export { parseDate } from './date.js';
export { msgIds, rootKey, threadKey, threadRoot } from './thread.js';
export type {
  Address,
  EncapsulatedMessage,
  Envelope,
  HeaderCache,
  MessageIndex,
  MimePart,
  Params,
} from './types.js';
