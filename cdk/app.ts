// The CDK app: `cd cdk && npx cdk synth` / `npx cdk deploy` (cdk.json here runs this file with tsx).
// Parameters come from CDK context (`-c name=value`); see README "Deploy to AWS".
import { App } from 'aws-cdk-lib';
import { StratusStack } from './stack.js';

const app = new App();
const context = (name: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(name);
  return value === undefined || value === '' ? undefined : String(value);
};
const count = (name: string): number | undefined => {
  const raw = context(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`context ${name} must be a positive integer, got "${raw}"`);
  return n;
};

const hours = (name: string): number | undefined => {
  const raw = context(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`context ${name} must be a number of hours ≥ 0, got "${raw}"`);
  return n;
};

new StratusStack(app, context('stackName') ?? 'Stratus', {
  domainName: context('domainName'),
  certificateArn: context('certificateArn'),
  desiredCount: count('desiredCount'),
  maxCount: count('maxCount'),
  sesReceiving: ['true', '1', 'on', 'yes'].includes(context('sesReceiving') ?? 'false'),
  gcGraceHours: hours('gcGraceHours'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
