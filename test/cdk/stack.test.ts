// Assertions over the synthesized CloudFormation template of cdk/stack.ts: every resource the deployment needs,
// and least privilege (the frontend task role has no DynamoDB, S3, KMS or secret access; each function role has
// only its own tables, key prefix and actions). Synthesized once per stack variant; no Docker, no network.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnParameter } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  ADMIN_API_THROTTLE,
  FAMILIES,
  GC_GRACE_HOURS,
  GC_SCHEDULE,
  INBOUND_PREFIX,
  PORTS,
  SEAL_BATCH_SIZE,
  SEAL_MAX_CONCURRENCY,
  SEAL_MAX_RECEIVES,
  StratusStack,
} from '../../cdk/stack.js';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: unknown };

const CERT = 'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000';
/** The families deployed without SES receiving (ingest needs sesReceiving), and those the frontend invokes. */
const DEPLOYED = Object.keys(FAMILIES).filter((f) => FAMILIES[f]!.caller !== 'ses');
const FRONTEND = Object.keys(FAMILIES).filter((f) => FAMILIES[f]!.caller === 'frontend');

/** Helpers over the resources of one synthesized template. */
function inspect(resources: Record<string, Resource>) {
  const ofType = (type: string): [string, Resource][] => Object.entries(resources).filter(([, r]) => r.Type === type);
  const logicalId = (type: string, prefix: string): string => {
    const found = ofType(type).filter(([id]) => id.startsWith(prefix));
    assert.equal(found.length, 1, `one ${type} named ${prefix}*`);
    return found[0]![0];
  };
  /** Every statement of every inline policy attached to a role (by logical id). */
  const statementsOf = (roleId: string): Statement[] => {
    const out: Statement[] = [];
    for (const [, policy] of ofType('AWS::IAM::Policy')) {
      const roles = (policy.Properties!.Roles as { Ref: string }[]).map((r) => r.Ref);
      if (!roles.includes(roleId)) continue;
      out.push(...((policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement));
    }
    const role = resources[roleId]!;
    for (const p of (role.Properties!.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? []) {
      out.push(...p.PolicyDocument.Statement);
    }
    return out;
  };
  const actionsOf = (statements: Statement[]): string[] =>
    statements.filter((s) => s.Effect === 'Allow').flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
  const functionRole = (family: string): string => {
    const fnId = logicalId('AWS::Lambda::Function', `${family.charAt(0).toUpperCase()}${family.slice(1)}Function`);
    return ((resources[fnId]!.Properties!.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'])[0]!;
  };

  return { ofType, logicalId, statementsOf, actionsOf, functionRole };
}

describe('CDK stack', () => {
  let dir: string;
  let template: Template;
  let resources: Record<string, Resource>;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-cdk-'));
    const app = new App({ outdir: join(dir, 'out') });
    const stack = new StratusStack(app, 'Test', {
      domainName: 'example.com',
      certificateArn: CERT,
      desiredCount: 3,
      maxCount: 12,
      bundleDir: join(dir, 'bundles'),
      env: { account: '111111111111', region: 'eu-west-1' },
    });
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources as Record<string, Resource>;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const h = () => inspect(resources);
  const ofType = (type: string) => h().ofType(type);
  const logicalId = (type: string, prefix: string) => h().logicalId(type, prefix);
  const statementsOf = (roleId: string) => h().statementsOf(roleId);
  const actionsOf = (statements: Statement[]) => h().actionsOf(statements);
  const functionRole = (family: string) => h().functionRole(family);

  it('puts IMAP and POP3 behind the NLB: TCP 143/110, TLS 993/995 with the ACM certificate', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Type: 'network', Scheme: 'internet-facing' });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 4);
    for (const port of [143, 110]) {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: port, Protocol: 'TCP', Certificates: Match.absent() });
    }
    for (const port of [993, 995]) {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: port,
        Protocol: 'TLS',
        Certificates: [{ CertificateArn: CERT }],
        SslPolicy: Match.stringLikeRegexp('TLS'),
      });
    }
  });

  it('health-checks every target group over HTTP /health and drains for 120 s', () => {
    const groups = ofType('AWS::ElasticLoadBalancingV2::TargetGroup');
    assert.equal(groups.length, 4);
    assert.deepEqual(groups.map(([, g]) => g.Properties!.Port).sort(), [PORTS.imap, PORTS.imapTls, PORTS.pop3, PORTS.pop3Tls].sort());
    for (const [, g] of groups) {
      const p = g.Properties!;
      assert.equal(p.TargetType, 'ip');
      assert.equal(p.HealthCheckProtocol, 'HTTP');
      assert.equal(p.HealthCheckPath, '/health');
      assert.equal(p.HealthCheckPort, String(PORTS.health));
      assert.deepEqual(p.TargetGroupAttributes, [{ Key: 'deregistration_delay.timeout_seconds', Value: '120' }]);
    }
  });

  it('runs the frontend on Fargate arm64 from the Dockerfile, with autoscaling between desired and max', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          StopTimeout: 120,
          PortMappings: Match.arrayWith([Match.objectLike({ ContainerPort: PORTS.imap }), Match.objectLike({ ContainerPort: PORTS.health })]),
          Environment: Match.arrayWith([
            { Name: 'STRATUS_FUNCTIONS', Value: 'lambda' },
            { Name: 'STRATUS_FUNCTION_AUTH', Value: Match.anyValue() },
            { Name: 'STRATUS_FUNCTION_MAILBOX', Value: Match.anyValue() },
            { Name: 'STRATUS_FUNCTION_MESSAGE', Value: Match.anyValue() },
            { Name: 'STRATUS_FUNCTION_QUOTA', Value: Match.anyValue() },
            { Name: 'STRATUS_HEALTH_PORT', Value: String(PORTS.health) },
            { Name: 'STRATUS_REDIS_URL', Value: Match.anyValue() },
          ]),
        }),
      ],
    });
    template.hasResourceProperties('AWS::ECS::Service', { LaunchType: 'FARGATE', DesiredCount: 3 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3, MaxCapacity: 12 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'StepScaling' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ActiveFlowCount', Namespace: 'AWS/NetworkELB' });
    // The image asset is the repository's Dockerfile, built for arm64.
    const image = ((template.toJSON().Resources as Record<string, Resource>)[logicalId('AWS::ECS::TaskDefinition', 'FrontendTask')]!
      .Properties!.ContainerDefinitions as { Image: unknown }[])[0]!.Image;
    assert.match(JSON.stringify(image), /container-assets/);
    // The admin function is API Gateway's and ingest is SES's: the frontend is not told their names.
    const containerEnv = JSON.stringify(
      (resources[logicalId('AWS::ECS::TaskDefinition', 'FrontendTask')]!.Properties!.ContainerDefinitions as { Environment: unknown }[])[0]!.Environment,
    );
    assert.doesNotMatch(containerEnv, /STRATUS_FUNCTION_(ADMIN|INGEST)/);
  });

  it('has one Lambda per function family: Node.js 22, arm64, in the VPC, with the store configuration', () => {
    const fns = ofType('AWS::Lambda::Function');
    assert.equal(fns.length, DEPLOYED.length, 'every family but ingest (needs sesReceiving)');
    for (const [id, fn] of fns) {
      const p = fn.Properties!;
      assert.equal(p.Runtime, 'nodejs22.x');
      assert.deepEqual(p.Architectures, ['arm64']);
      assert.equal(p.Handler, 'index.handler');
      assert.ok(p.VpcConfig, 'in the VPC (to publish hints)');
      const env = (p.Environment as { Variables: Record<string, unknown> }).Variables;
      assert.equal(env.STRATUS_BACKEND, 'aws');
      for (const name of ['STRATUS_TABLE_MAIL', 'STRATUS_TABLE_MSGMETA', 'STRATUS_S3_BUCKET', 'STRATUS_REDIS_URL']) assert.ok(env[name], name);
      // The token key is a deploy-time dynamic reference to the secret, never a literal.
      assert.match(JSON.stringify(env.STRATUS_TOKEN_KEY), /resolve:secretsmanager/);
      // Only the admin function holds the operator token, also as a dynamic reference to its own secret.
      if (id.startsWith('AdminFunction')) assert.match(JSON.stringify(env.STRATUS_ADMIN_TOKEN), /resolve:secretsmanager:.*AdminToken/);
      else assert.equal(env.STRATUS_ADMIN_TOKEN, undefined, id);
    }
  });

  it('defines the tables of the storage model: pk/sk, on-demand, PITR, deletion protection, encryption', () => {
    const tables = ofType('AWS::DynamoDB::Table');
    assert.equal(tables.length, 2);
    for (const [, t] of tables) {
      const p = t.Properties!;
      assert.deepEqual(p.KeySchema, [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      assert.equal(p.BillingMode, 'PAY_PER_REQUEST');
      assert.deepEqual(p.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
      assert.equal(p.DeletionProtectionEnabled, true);
      assert.equal((p.SSESpecification as { SSEEnabled: boolean }).SSEEnabled, true);
      assert.equal(p.GlobalSecondaryIndexes, undefined, 'no GSI (§C1)');
      assert.equal(p.LocalSecondaryIndexes, undefined, 'no LSI (§C1)');
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('keeps message bytes in an SSE-KMS bucket: bucket key, no public access, TLS only, versioned, lifecycle', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } },
        ],
      },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 35 }, Status: 'Enabled' }),
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
        ]),
      },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    // Nothing in the bucket policy allows anyone in.
    for (const [, policy] of ofType('AWS::S3::BucketPolicy')) {
      for (const s of (policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement) assert.equal(s.Effect, 'Deny');
    }
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('has the Valkey serverless cache, the token-key secret, an alarm topic and a dashboard', () => {
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', { Engine: 'valkey', SubnetIds: Match.anyValue() });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    });
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // Only the functions and the frontend reach the cache, on 6379.
    const cacheIngress = ofType('AWS::EC2::SecurityGroupIngress').filter(([, r]) => r.Properties!.FromPort === 6379);
    assert.equal(cacheIngress.length, 2);
  });

  it('alarms on function errors and throttles, DynamoDB throttles and unhealthy NLB targets', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    const count = (metric: string, namespace: string) => alarms.filter((a) => a.MetricName === metric && a.Namespace === namespace).length;
    assert.equal(count('Errors', 'AWS/Lambda'), DEPLOYED.length);
    assert.equal(count('Throttles', 'AWS/Lambda'), DEPLOYED.length);
    assert.equal(count('5XXError', 'AWS/ApiGateway'), 1);
    assert.equal(count('ReadThrottleEvents', 'AWS/DynamoDB'), 2);
    assert.equal(count('WriteThrottleEvents', 'AWS/DynamoDB'), 2);
    assert.equal(count('UnHealthyHostCount', 'AWS/NetworkELB'), 4);
    for (const a of alarms.filter((x) => x.MetricName !== 'ActiveFlowCount')) {
      assert.equal((a.AlarmActions as unknown[]).length, 1, 'every alarm notifies the alarm topic');
    }
  });

  it('gives the frontend task role only lambda:InvokeFunction on the functions and elasticache:Connect', () => {
    const taskDef = resources[logicalId('AWS::ECS::TaskDefinition', 'FrontendTask')]!;
    const taskRoleId = (taskDef.Properties!.TaskRoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    const statements = statementsOf(taskRoleId);
    const actions = actionsOf(statements);
    assert.deepEqual([...new Set(actions)].sort(), ['elasticache:Connect', 'lambda:InvokeFunction']);
    assert.ok(!actions.some((a) => a.startsWith('dynamodb:')), 'no dynamodb:* at all');
    assert.ok(!actions.some((a) => a.startsWith('s3:')), 'no s3:GetObject / PutObject');
    assert.equal(resources[taskRoleId]!.Properties!.ManagedPolicyArns, undefined);
    // The invoke statement names exactly the function ARNs.
    const invoke = statements.find((s) => s.Action === 'lambda:InvokeFunction')!;
    assert.equal((invoke.Resource as unknown[]).length, FRONTEND.length);
    const invoked = JSON.stringify(invoke.Resource);
    for (const family of FRONTEND) assert.match(invoked, new RegExp(`"${family.charAt(0).toUpperCase()}${family.slice(1)}Function`), family);
    assert.doesNotMatch(invoked, /AdminFunction|IngestFunction|SealFunction/, 'the frontend cannot call the admin, ingest or seal function');
    // The frontend never receives the token key (it could forge any user's session).
    const env = JSON.stringify(taskDef.Properties!.ContainerDefinitions);
    assert.doesNotMatch(env, /STRATUS_TOKEN_KEY|secretsmanager/);
  });

  it('gives each function role only its own tables, key prefix and actions', () => {
    const mail = logicalId('AWS::DynamoDB::Table', 'MailTable');
    const msgmeta = logicalId('AWS::DynamoDB::Table', 'MsgmetaTable');
    const bucket = logicalId('AWS::S3::Bucket', 'MailBucket');
    for (const family of DEPLOYED) {
      const access = FAMILIES[family]!;
      const statements = statementsOf(functionRole(family)).filter((s) => s.Effect === 'Allow');
      const onResource = (needle: string) =>
        actionsOf(statements.filter((s) => JSON.stringify(s.Resource).includes(`"${needle}"`))).sort();
      const dynamo = actionsOf(statements).filter((a) => a.startsWith('dynamodb:'));
      assert.ok(!dynamo.includes('dynamodb:*') && !dynamo.includes('dynamodb:Scan'), `${family}: no wildcard, no Scan`);
      assert.deepEqual(onResource(mail).filter((a) => a.startsWith('dynamodb:')), [...access.mail].sort(), `${family} on mail`);
      assert.deepEqual(onResource(msgmeta).filter((a) => a.startsWith('dynamodb:')), [...access.msgmeta].sort(), `${family} on msgmeta`);
      // Object actions here; listing (a bucket-level action, the GC's alone) is asserted in the GC's own test.
      const objectStatements = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:') && a !== 's3:ListBucket'));
      // The seal reads raw messages anywhere under t/ (readsBodies) and nothing else there: that statement alone.
      const isBodyRead = (s: (typeof statements)[number]): boolean =>
        access.readsBodies === true && actionsOf([s]).join() === 's3:GetObject' && /"\/t\/\*"/.test(JSON.stringify(s.Resource));
      assert.equal(objectStatements.filter(isBodyRead).length, access.readsBodies ? 1 : 0, `${family}: raw bytes read only if it indexes them`);
      const s3 = objectStatements.filter((s) => !isBodyRead(s));
      assert.deepEqual(actionsOf(s3).sort(), [...access.blobs].sort(), `${family} on S3`);
      assert.equal(actionsOf(statements).includes('s3:ListBucket'), access.listBlobs === true, `${family}: s3:ListBucket only if it lists`);
      for (const s of s3) {
        // Objects under t/ only (the tenant key space of §C2), never the bucket or its root; the seal's under t/…/q/ only.
        const prefix = (access.blobPrefix ?? 't/*').replaceAll('*', '\\*');
        assert.match(JSON.stringify(s.Resource), new RegExp(`${bucket}.*"/${prefix}"`), `${family} on S3 objects`);
      }
      for (const a of actionsOf(statements)) assert.ok(!a.endsWith(':*'), `${family}: no wildcard action ${a}`);
    }
    assert.deepEqual(FAMILIES.auth!.mail.filter((a) => !/Get|Query/.test(a)), [], 'auth only reads');
    assert.deepEqual(FAMILIES.mailbox!.blobs, [], 'mailbox never touches bytes');
  });

  it('runs the blob GC on an EventBridge schedule; only the GC role may list the bucket, and only under t/', () => {
    const gcFn = logicalId('AWS::Lambda::Function', 'GcFunction');
    const rules = ofType('AWS::Events::Rule');
    assert.equal(rules.length, 1);
    const rule = rules[0]![1].Properties!;
    assert.equal(rule.ScheduleExpression, GC_SCHEDULE);
    assert.equal(rule.State, 'ENABLED');
    const targets = rule.Targets as { Arn: unknown; Input?: string; RetryPolicy?: unknown }[];
    assert.equal(targets.length, 1);
    assert.deepEqual(targets[0]!.Arn, { 'Fn::GetAtt': [gcFn, 'Arn'] });
    assert.equal(targets[0]!.Input, '{}', 'no scope: every tenant and the prefixes of deleted owners');
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [gcFn, 'Arn'] },
    });
    const fn = resources[gcFn]!.Properties!;
    assert.equal(fn.Timeout, 900);
    assert.equal(fn.ReservedConcurrentExecutions, 1);
    assert.equal((fn.Environment as { Variables: Record<string, unknown> }).Variables.STRATUS_GC_GRACE_HOURS, String(GC_GRACE_HOURS));

    // s3:ListBucket (or anything that implies it) is allowed to no role but the GC's.
    const gcRole = functionRole('gc');
    const roles = ofType('AWS::IAM::Role').map(([id]) => id);
    assert.ok(roles.length > DEPLOYED.length, 'function, task and service roles are all looked at');
    for (const role of roles) {
      const lists = statementsOf(role).filter(
        (st) => st.Effect === 'Allow' && actionsOf([st]).some((a) => a === 's3:ListBucket' || a === 's3:*' || a === 's3:List*' || a === '*'),
      );
      if (role !== gcRole) assert.deepEqual(lists, [], `${role} may not list the bucket`);
    }
    // The GC's listing: the mail bucket itself, keys under t/ only.
    const bucket = logicalId('AWS::S3::Bucket', 'MailBucket');
    const statements = statementsOf(gcRole).filter((st) => st.Effect === 'Allow');
    const listing = statements.filter((st) => actionsOf([st]).includes('s3:ListBucket'));
    assert.equal(listing.length, 1);
    assert.deepEqual(listing[0]!.Action, 's3:ListBucket');
    assert.deepEqual(listing[0]!.Resource, { 'Fn::GetAtt': [bucket, 'Arn'] });
    assert.deepEqual(listing[0]!.Condition, { StringLike: { 's3:prefix': ['t/*'] } });
    // And nothing else than it needs: list, delete bodies and cold items, read the directory and the hot items.
    const mail = logicalId('AWS::DynamoDB::Table', 'MailTable');
    const msgmeta = logicalId('AWS::DynamoDB::Table', 'MsgmetaTable');
    const on = (needle: string) => actionsOf(statements.filter((st) => JSON.stringify(st.Resource).includes(needle))).sort();
    assert.deepEqual(on(`"${mail}"`), ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Query']);
    assert.deepEqual(on(`"${msgmeta}"`), ['dynamodb:DeleteItem']);
    assert.deepEqual(on('"/t/*"'), ['s3:DeleteObject']);
    assert.deepEqual([...new Set(actionsOf(statements))].sort(), [
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      's3:DeleteObject',
      's3:ListBucket',
    ], 'no GetObject, no KMS, no cache, no PutItem');
  });

  it('feeds the seal function from a FIFO queue grouped by mailbox, with a dead-letter queue and an alarm on it', () => {
    const sealFn = logicalId('AWS::Lambda::Function', 'SealFunction');
    const queue = logicalId('AWS::SQS::Queue', 'SealRequests');
    const dlq = logicalId('AWS::SQS::Queue', 'SealDeadLetters');
    assert.equal(ofType('AWS::SQS::Queue').length, 2);
    const fn = resources[sealFn]!.Properties!;
    const q = resources[queue]!.Properties!;
    assert.equal(q.FifoQueue, true);
    assert.equal(q.ContentBasedDeduplication, false, 'the sender names the deduplication id');
    assert.equal(q.DeduplicationScope, 'messageGroup');
    assert.equal(q.FifoThroughputLimit, 'perMessageGroupId');
    assert.equal(q.SqsManagedSseEnabled, true);
    assert.equal(q.VisibilityTimeout, 6 * (fn.Timeout as number), 'visibility: 6x the seal timeout');
    assert.deepEqual(q.RedrivePolicy, { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: SEAL_MAX_RECEIVES });
    assert.equal(resources[dlq]!.Properties!.FifoQueue, true);
    // Both queues refuse plain HTTP.
    const queuePolicies = ofType('AWS::SQS::QueuePolicy');
    assert.equal(queuePolicies.length, 2);
    for (const [, p] of queuePolicies) {
      const statements = (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement;
      assert.ok(statements.every((st) => st.Effect === 'Deny'), 'no one is let in by a queue policy');
      assert.ok(statements.some((st) => JSON.stringify(st.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}'));
    }
    // The event source mapping: batches, partial batch responses, bounded concurrency.
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    assert.equal(mappings.length, 1);
    const m = mappings[0]![1].Properties!;
    assert.deepEqual(m.FunctionName, { Ref: sealFn });
    assert.deepEqual(m.EventSourceArn, { 'Fn::GetAtt': [queue, 'Arn'] });
    assert.equal(m.BatchSize, SEAL_BATCH_SIZE);
    assert.deepEqual(m.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.deepEqual(m.ScalingConfig, { MaximumConcurrency: SEAL_MAX_CONCURRENCY });
    assert.equal(fn.ReservedConcurrentExecutions, undefined, 'bounded by the mapping, not by throttling');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      AlarmActions: [Match.anyValue()],
    });

    // Who sends: the families that commit UIDs, with the queue's URL and sqs:SendMessage on it, nothing more.
    const sqsActions = (family: string) =>
      statementsOf(functionRole(family)).filter((st) => st.Effect === 'Allow' && actionsOf([st]).some((a) => a.startsWith('sqs:')));
    for (const family of DEPLOYED) {
      const env = ((resources[logicalId('AWS::Lambda::Function', `${family.charAt(0).toUpperCase()}${family.slice(1)}Function`)]!
        .Properties!.Environment as { Variables: Record<string, unknown> }).Variables);
      if (FAMILIES[family]!.requestsSeals) {
        assert.deepEqual(env.STRATUS_SEAL_QUEUE_URL, { Ref: queue }, family);
        const statements = sqsActions(family);
        assert.deepEqual(statements.map((st) => [st.Action, st.Resource]), [['sqs:SendMessage', { 'Fn::GetAtt': [queue, 'Arn'] }]], family);
      } else {
        assert.equal(env.STRATUS_SEAL_QUEUE_URL, undefined, family);
        if (family !== 'seal') assert.deepEqual(sqsActions(family), [], `${family} has no SQS access`);
      }
    }
    assert.ok(FAMILIES.message!.requestsSeals && FAMILIES.ingest!.requestsSeals, 'APPEND/COPY/MOVE and deliveries request seals');

    // The seal role: consume its queue; read META/directory/hot items, put the directory; read raw messages (cold items
    // keep no text since issue #8, so the seal indexes new messages from their bytes) but put segment blobs only (never
    // a body); the bucket key for them. No cold items, no hints (no cache), no delete, no list.
    const mail = logicalId('AWS::DynamoDB::Table', 'MailTable');
    const msgmeta = logicalId('AWS::DynamoDB::Table', 'MsgmetaTable');
    const bucket = logicalId('AWS::S3::Bucket', 'MailBucket');
    const statements = statementsOf(functionRole('seal')).filter((st) => st.Effect === 'Allow');
    const on = (needle: string) => actionsOf(statements.filter((st) => JSON.stringify(st.Resource).includes(needle))).sort();
    assert.deepEqual(on(`"${mail}"`), ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    assert.deepEqual(on(`"${msgmeta}"`), []);
    assert.deepEqual(on(`"${queue}"`), ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage']);
    const s3 = statements.filter((st) => actionsOf([st]).some((a) => a.startsWith('s3:')));
    assert.equal(s3.length, 2);
    const segments = s3.filter((st) => /"\/t\/\*\/u\/\*\/q\/\*"/.test(JSON.stringify(st.Resource)));
    const bodies = s3.filter((st) => /"\/t\/\*"/.test(JSON.stringify(st.Resource)));
    assert.deepEqual(actionsOf(segments).sort(), ['s3:GetObject', 's3:PutObject'], 'segments: read and write');
    assert.match(JSON.stringify(segments[0]!.Resource), new RegExp(`${bucket}`));
    assert.deepEqual(actionsOf(bodies), ['s3:GetObject'], 'every other object under t/: read only');
    assert.deepEqual([...new Set(actionsOf(statements).filter((a) => !/^(dynamodb|s3|sqs):/.test(a)))].sort(), ['kms:Decrypt', 'kms:GenerateDataKey']);
    const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    assert.equal(env.STRATUS_SEAL_QUEUE_URL, undefined, 'a seal requests no seals');
  });

  it('serves the admin function through an API Gateway REST API: Lambda proxy, stage throttling, access logs', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    const adminFn = logicalId('AWS::Lambda::Function', 'AdminFunction');
    // {proxy+} and the root, both ANY, both AWS_PROXY to the admin function.
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    const methods = ofType('AWS::ApiGateway::Method');
    assert.equal(methods.length, 2);
    for (const [, m] of methods) {
      assert.equal(m.Properties!.HttpMethod, 'ANY');
      const integration = m.Properties!.Integration as { Type: string; IntegrationHttpMethod: string; Uri: unknown };
      assert.equal(integration.Type, 'AWS_PROXY');
      assert.equal(integration.IntegrationHttpMethod, 'POST');
      assert.match(JSON.stringify(integration.Uri), new RegExp(adminFn));
    }
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [adminFn, 'Arn'] },
    });
    const accessLogs = logicalId('AWS::Logs::LogGroup', 'AdminApiAccessLogs');
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: ADMIN_API_THROTTLE.rateLimit,
          ThrottlingBurstLimit: ADMIN_API_THROTTLE.burstLimit,
        }),
      ]),
      AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': [accessLogs, 'Arn'] }, Format: Match.stringLikeRegexp('requestId') },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5XXError',
      Namespace: 'AWS/ApiGateway',
      Dimensions: Match.arrayWith([Match.objectLike({ Name: 'ApiName' })]),
      AlarmActions: [Match.anyValue()],
    });
  });

  it('limits the admin role to the mail table (no msgmeta, no S3) and keeps the operator token in its own secret', () => {
    const statements = statementsOf(functionRole('admin')).filter((s) => s.Effect === 'Allow');
    const mail = logicalId('AWS::DynamoDB::Table', 'MailTable');
    const dynamo = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
    assert.ok(dynamo.length > 0);
    for (const s of dynamo) assert.deepEqual(s.Resource, { 'Fn::GetAtt': [mail, 'Arn'] }, 'the mail table only');
    assert.deepEqual(
      actionsOf(dynamo).sort(),
      ['BatchGetItem', 'ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'].map((a) => `dynamodb:${a}`),
    );
    const all = actionsOf(statements);
    assert.ok(!all.some((a) => a.startsWith('s3:') || a.startsWith('kms:')), 'no bucket access');
    assert.deepEqual(all.filter((a) => !a.startsWith('dynamodb:')).sort(), ['elasticache:Connect']);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('admin token'),
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false },
    });
    template.hasOutput('AdminTokenSecretArn', {});
    template.hasOutput('AdminApiUrl', {});
    template.resourceCountIs('AWS::SES::ReceiptRuleSet', 0);
  });
});

describe('CDK stack without context', () => {
  it('asks for the domain and certificate as CloudFormation parameters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-cdk-'));
    try {
      // Constructed, not synthesized: the parameters are children of the stack (a second synth costs seconds).
      const app = new App({ outdir: join(dir, 'out') });
      const stack = new StratusStack(app, 'Bare', { bundleDir: join(dir, 'bundles') });
      for (const name of ['CertificateArn', 'DomainName']) assert.ok(stack.node.tryFindChild(name) instanceof CfnParameter, name);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CDK stack with SES receiving', () => {
  /** The deploying account, as CloudFormation resolves it (conditions name no literal account). */
  const ACCOUNT = { Ref: 'AWS::AccountId' };
  let dir: string;
  let template: Template;
  let resources: Record<string, Resource>;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-cdk-ses-'));
    const app = new App({ outdir: join(dir, 'out') });
    const stack = new StratusStack(app, 'Ses', {
      domainName: 'example.com',
      certificateArn: CERT,
      sesReceiving: true,
      bundleDir: join(dir, 'bundles'),
      env: { account: '111111111111', region: 'eu-west-1' },
    });
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources as Record<string, Resource>;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the ingest function, reached by SES only', () => {
    const { ofType, logicalId } = inspect(resources);
    assert.equal(ofType('AWS::Lambda::Function').length, Object.keys(FAMILIES).length);
    const ingest = logicalId('AWS::Lambda::Function', 'IngestFunction');
    const env = (resources[ingest]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    assert.equal(env.STRATUS_INGEST_PREFIX, INBOUND_PREFIX);
    assert.ok(env.STRATUS_INGEST_BUCKET);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'ses.amazonaws.com',
      SourceAccount: ACCOUNT,
      FunctionName: { 'Fn::GetAtt': [ingest, 'Arn'] },
    });
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    assert.ok(alarms.some((a) => a.MetricName === 'Errors' && JSON.stringify(a.Dimensions).includes(ingest)), 'ingest errors alarm');
  });

  it('has a receipt rule for the domain: S3 action on inbound/ first, then the ingest function asynchronously', () => {
    const { logicalId } = inspect(resources);
    template.resourceCountIs('AWS::SES::ReceiptRuleSet', 1);
    template.resourceCountIs('AWS::SES::ReceiptRule', 1);
    const bucket = logicalId('AWS::S3::Bucket', 'MailBucket');
    const ingest = logicalId('AWS::Lambda::Function', 'IngestFunction');
    const rule = (Object.values(resources).find((r) => r.Type === 'AWS::SES::ReceiptRule')!.Properties!.Rule) as {
      Recipients: string[];
      Enabled: boolean;
      ScanEnabled: boolean;
      Actions: { S3Action?: { BucketName: unknown; ObjectKeyPrefix: string; KmsKeyArn?: unknown }; LambdaAction?: { FunctionArn: unknown; InvocationType: string } }[];
    };
    assert.deepEqual(rule.Recipients, ['example.com']);
    assert.equal(rule.Enabled, true);
    assert.equal(rule.ScanEnabled, true);
    assert.equal(rule.Actions.length, 2);
    const [store, invoke] = rule.Actions;
    assert.deepEqual(store!.S3Action!.BucketName, { Ref: bucket });
    assert.equal(store!.S3Action!.ObjectKeyPrefix, INBOUND_PREFIX);
    // No client-side SES encryption (the ingest function reads with a plain GetObject); the bucket's SSE-KMS applies.
    assert.equal(store!.S3Action!.KmsKeyArn, undefined);
    assert.deepEqual(invoke!.LambdaAction!.FunctionArn, { 'Fn::GetAtt': [ingest, 'Arn'] });
    assert.equal(invoke!.LambdaAction!.InvocationType, 'Event');
    template.hasOutput('ReceiptRuleSetName', {});
  });

  it('lets SES write inbound/ only, in this account, through the bucket policy and the bucket key policy', () => {
    const { ofType, logicalId } = inspect(resources);
    const bucket = logicalId('AWS::S3::Bucket', 'MailBucket');
    const statements = ofType('AWS::S3::BucketPolicy').flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: (Statement & { Principal?: unknown; Condition?: unknown })[] }).Statement);
    const allows = statements.filter((s) => s.Effect === 'Allow');
    assert.equal(allows.length, 1, 'SES is the only principal let in');
    assert.deepEqual(allows[0]!.Principal, { Service: 'ses.amazonaws.com' });
    assert.equal(allows[0]!.Action, 's3:PutObject');
    assert.deepEqual(allows[0]!.Condition, { StringEquals: { 'aws:SourceAccount': ACCOUNT } });
    assert.match(JSON.stringify(allows[0]!.Resource), new RegExp(`${bucket}.*"/${INBOUND_PREFIX}\\*"`));
    // TLS-only still denies everything else.
    assert.ok(statements.some((s) => s.Effect === 'Deny' && s.Action === 's3:*'));
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'ses.amazonaws.com' },
            Action: ['kms:GenerateDataKey', 'kms:Encrypt'],
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: INBOUND_PREFIX, ExpirationInDays: 14 })]) },
    });
  });

  it('gives the ingest role read on inbound/*, write on t/*, mail and msgmeta writes, and nothing more', () => {
    const { statementsOf, actionsOf, functionRole, logicalId } = inspect(resources);
    const bucket = logicalId('AWS::S3::Bucket', 'MailBucket');
    const mail = logicalId('AWS::DynamoDB::Table', 'MailTable');
    const msgmeta = logicalId('AWS::DynamoDB::Table', 'MsgmetaTable');
    const statements = statementsOf(functionRole('ingest')).filter((s) => s.Effect === 'Allow');
    const on = (needle: string) => actionsOf(statements.filter((s) => JSON.stringify(s.Resource).includes(needle))).sort();
    assert.deepEqual(on(`"/${INBOUND_PREFIX}*"`), ['s3:GetObject']);
    assert.deepEqual(on('"/t/*"'), ['s3:PutObject']);
    const s3 = actionsOf(statements).filter((a) => a.startsWith('s3:')).sort();
    assert.deepEqual(s3, ['s3:GetObject', 's3:PutObject'], 'no other S3 action');
    for (const s of statements.filter((x) => actionsOf([x]).some((a) => a.startsWith('s3:')))) {
      assert.match(JSON.stringify(s.Resource), new RegExp(`${bucket}.*"/(t|inbound)/\\*"`), 'never the whole bucket');
    }
    assert.deepEqual(on(`"${mail}"`).filter((a) => a.startsWith('dynamodb:')), [...FAMILIES.ingest!.mail].sort());
    assert.deepEqual(on(`"${msgmeta}"`).filter((a) => a.startsWith('dynamodb:')), [...FAMILIES.ingest!.msgmeta].sort());
    assert.ok(FAMILIES.ingest!.msgmeta.includes('dynamodb:PutItem') && FAMILIES.ingest!.mail.includes('dynamodb:PutItem'));
    // Deliveries make seals due: the ingest function sends seal requests to the queue, and may do nothing else there.
    const queue = logicalId('AWS::SQS::Queue', 'SealRequests');
    const ingestEnv = (resources[logicalId('AWS::Lambda::Function', 'IngestFunction')]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    assert.deepEqual(ingestEnv.STRATUS_SEAL_QUEUE_URL, { Ref: queue });
    assert.deepEqual(on(`"${queue}"`), ['sqs:SendMessage']);
    for (const a of actionsOf(statements)) assert.ok(!a.endsWith(':*'), `no wildcard action ${a}`);
    // The frontend still cannot invoke ingest.
    const { ofType } = inspect(resources);
    const taskDef = ofType('AWS::ECS::TaskDefinition')[0]![1];
    const taskRoleId = (taskDef.Properties!.TaskRoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    assert.doesNotMatch(JSON.stringify(statementsOf(taskRoleId)), /IngestFunction/);
  });
});
