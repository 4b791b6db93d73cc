// The admin REST API's routes, as data: the Hono app (app.ts) and the OpenAPI document (openapi.ts) are both made
// from this table, so a route cannot exist undocumented. Each route is one MailStore `admin.*` operation; path
// parameters, query parameters and the JSON body are merged into its request, with the bearer token as adminToken.
import type { z } from 'zod';
import { adminBodies } from '../mailstore/tenants-api.js';
import type { Operation } from '../mailstore/api.js';
import { sharedBodies } from '../mailstore/acl-admin.js';

export interface RouteSpec {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** OpenAPI-style path, `{param}`. */
  path: string;
  op: Operation;
  summary: string;
  body?: z.ZodType;
  paged?: boolean;
  /** Success status: 200 with JSON, 201 with JSON, 204 without a body. */
  status: 200 | 201 | 204;
  operatorOnly?: boolean;
}

const T = '/tenants/{tenantId}';
const U = `${T}/users/{login}`;
const S = `${T}/shared-mailboxes/{name}`;

export const ROUTES: RouteSpec[] = [
  { method: 'get', path: '/whoami', op: 'admin.whoami', summary: 'What the bearer token may reach', status: 200 },
  { method: 'post', path: '/tenants', op: 'admin.tenant.create', summary: 'Create a tenant', body: adminBodies.tenantCreate, status: 201, operatorOnly: true },
  { method: 'get', path: '/tenants', op: 'admin.tenant.list', summary: 'List tenants', paged: true, status: 200, operatorOnly: true },
  { method: 'get', path: T, op: 'admin.tenant.get', summary: 'Get a tenant', status: 200 },
  { method: 'patch', path: T, op: 'admin.tenant.update', summary: 'Rename a tenant or change its limits', body: adminBodies.tenantUpdate, status: 200, operatorOnly: true },
  { method: 'delete', path: T, op: 'admin.tenant.delete', summary: 'Delete a tenant without users', status: 204, operatorOnly: true },
  { method: 'get', path: `${T}/usage`, op: 'admin.tenant.usage', summary: 'Tenant usage (sum over its users) and limits', status: 200 },
  { method: 'post', path: `${T}/domains`, op: 'admin.domain.add', summary: 'Add a domain to a tenant', body: adminBodies.domainAdd, status: 201 },
  { method: 'get', path: `${T}/domains`, op: 'admin.domain.list', summary: "List a tenant's domains", status: 200 },
  { method: 'delete', path: `${T}/domains/{domain}`, op: 'admin.domain.remove', summary: 'Remove an unused domain', status: 204 },
  { method: 'post', path: `${T}/users`, op: 'admin.user.create', summary: 'Create a user', body: adminBodies.userCreate, status: 201 },
  { method: 'get', path: `${T}/users`, op: 'admin.user.list', summary: 'List users (paged)', paged: true, status: 200 },
  { method: 'get', path: U, op: 'admin.user.get', summary: 'Get a user with quota and usage', status: 200 },
  { method: 'patch', path: U, op: 'admin.user.update', summary: "Change a user's quota, admin flag or status", body: adminBodies.userUpdate, status: 200 },
  { method: 'delete', path: U, op: 'admin.user.delete', summary: 'Delete a user and their mail', status: 204 },
  { method: 'put', path: `${U}/password`, op: 'admin.user.setPassword', summary: "Set a user's password", body: adminBodies.password, status: 204 },
  { method: 'post', path: `${U}/app-passwords`, op: 'admin.appPassword.create', summary: 'Create an app password (returned once)', body: adminBodies.appPasswordCreate, status: 201 },
  { method: 'get', path: `${U}/app-passwords`, op: 'admin.appPassword.list', summary: "List a user's app passwords", status: 200 },
  { method: 'delete', path: `${U}/app-passwords/{id}`, op: 'admin.appPassword.revoke', summary: 'Revoke an app password', status: 204 },
  { method: 'post', path: `${T}/aliases`, op: 'admin.alias.create', summary: 'Create an alias for a user', body: adminBodies.aliasCreate, status: 201 },
  { method: 'get', path: `${T}/aliases`, op: 'admin.alias.list', summary: "List a tenant's aliases", status: 200 },
  { method: 'delete', path: `${T}/aliases/{address}`, op: 'admin.alias.delete', summary: 'Delete an alias', status: 204 },
  { method: 'post', path: `${T}/tokens`, op: 'admin.token.create', summary: 'Issue a tenant-scoped admin token (returned once)', body: adminBodies.tokenCreate, status: 201 },
  { method: 'get', path: `${T}/tokens`, op: 'admin.token.list', summary: "List a tenant's admin tokens", status: 200 },
  { method: 'delete', path: `${T}/tokens/{id}`, op: 'admin.token.revoke', summary: 'Revoke a tenant-scoped admin token', status: 204 },
  // The tenant's public mailboxes (IMAP `Shared/<name>`) and their RFC 4314 ACLs (src/mailstore/acl-admin.ts).
  { method: 'post', path: `${T}/shared-mailboxes`, op: 'admin.shared.create', summary: 'Create a shared mailbox', body: sharedBodies.create, status: 201 },
  { method: 'get', path: `${T}/shared-mailboxes`, op: 'admin.shared.list', summary: "List a tenant's shared mailboxes", status: 200 },
  { method: 'delete', path: `${S}`, op: 'admin.shared.delete', summary: 'Delete a shared mailbox and its messages', status: 204 },
  { method: 'get', path: `${S}/acl`, op: 'admin.shared.getAcl', summary: "A shared mailbox's ACL", status: 200 },
  { method: 'put', path: `${S}/acl/{identifier}`, op: 'admin.shared.setAcl', summary: 'Set the rights of a login of the tenant or anyone', body: sharedBodies.rights, status: 204 },
  { method: 'delete', path: `${S}/acl/{identifier}`, op: 'admin.shared.deleteAcl', summary: 'Remove an ACL entry', status: 204 },
];

export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}
