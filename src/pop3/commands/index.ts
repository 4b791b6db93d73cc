// The command table: keyword → the states it is valid in and its handler (one file per command).
import type { CommandSpec } from '../context.js';
import { auth } from './auth.js';
import { capa } from './capa.js';
import { dele } from './dele.js';
import { list } from './list.js';
import { noop } from './noop.js';
import { pass } from './pass.js';
import { quit } from './quit.js';
import { retr, top } from './retr.js';
import { rset } from './rset.js';
import { stat } from './stat.js';
import { stls } from './stls.js';
import { uidl } from './uidl.js';
import { user } from './user.js';

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  USER: user,
  PASS: pass,
  AUTH: auth,
  CAPA: capa,
  STLS: stls,
  STAT: stat,
  LIST: list,
  RETR: retr,
  TOP: top,
  DELE: dele,
  RSET: rset,
  NOOP: noop,
  UIDL: uidl,
  QUIT: quit,
};
