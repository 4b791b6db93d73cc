// LOGIN (RFC 3501 §6.2.3).
import type { LoginCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { signIn } from '../session/sign-in.js';

export const login: Handler<LoginCommand> = (command, ctx) => signIn(ctx, command.user, command.password);
