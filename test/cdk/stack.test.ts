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
import { FAMILIES, PORTS, StratusStack } from '../../cdk/stack.js';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource?: unknown };

const CERT = 'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000';

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
  });

  it('has one Lambda per function family: Node.js 22, arm64, in the VPC, with the store configuration', () => {
    const fns = ofType('AWS::Lambda::Function');
    assert.equal(fns.length, Object.keys(FAMILIES).length);
    for (const [, fn] of fns) {
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
    assert.equal(count('Errors', 'AWS/Lambda'), Object.keys(FAMILIES).length);
    assert.equal(count('Throttles', 'AWS/Lambda'), Object.keys(FAMILIES).length);
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
    assert.equal((invoke.Resource as unknown[]).length, Object.keys(FAMILIES).length);
    // The frontend never receives the token key (it could forge any user's session).
    const env = JSON.stringify(taskDef.Properties!.ContainerDefinitions);
    assert.doesNotMatch(env, /STRATUS_TOKEN_KEY|secretsmanager/);
  });

  it('gives each function role only its own tables, key prefix and actions', () => {
    const mail = logicalId('AWS::DynamoDB::Table', 'MailTable');
    const msgmeta = logicalId('AWS::DynamoDB::Table', 'MsgmetaTable');
    const bucket = logicalId('AWS::S3::Bucket', 'MailBucket');
    for (const [family, access] of Object.entries(FAMILIES)) {
      const statements = statementsOf(functionRole(family)).filter((s) => s.Effect === 'Allow');
      const onResource = (needle: string) =>
        actionsOf(statements.filter((s) => JSON.stringify(s.Resource).includes(`"${needle}"`))).sort();
      const dynamo = actionsOf(statements).filter((a) => a.startsWith('dynamodb:'));
      assert.ok(!dynamo.includes('dynamodb:*') && !dynamo.includes('dynamodb:Scan'), `${family}: no wildcard, no Scan`);
      assert.deepEqual(onResource(mail).filter((a) => a.startsWith('dynamodb:')), [...access.mail].sort(), `${family} on mail`);
      assert.deepEqual(onResource(msgmeta).filter((a) => a.startsWith('dynamodb:')), [...access.msgmeta].sort(), `${family} on msgmeta`);
      const s3 = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')));
      assert.deepEqual(actionsOf(s3).sort(), [...access.blobs].sort(), `${family} on S3`);
      for (const s of s3) {
        // Objects under t/ only (the tenant key space of §C2), never the bucket or its root.
        assert.match(JSON.stringify(s.Resource), new RegExp(`${bucket}.*"/t/\\*"`));
      }
      for (const a of actionsOf(statements)) assert.ok(!a.endsWith(':*'), `${family}: no wildcard action ${a}`);
    }
    assert.deepEqual(FAMILIES.auth!.mail.filter((a) => !/Get|Query/.test(a)), [], 'auth only reads');
    assert.deepEqual(FAMILIES.mailbox!.blobs, [], 'mailbox never touches bytes');
  });
});

describe('CDK stack without context', () => {
  it('asks for the domain and certificate as CloudFormation parameters, and refuses SES without ingest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-cdk-'));
    try {
      // Constructed, not synthesized: the parameters are children of the stack (a second synth costs seconds).
      const app = new App({ outdir: join(dir, 'out') });
      const stack = new StratusStack(app, 'Bare', { bundleDir: join(dir, 'bundles') });
      for (const name of ['CertificateArn', 'DomainName']) assert.ok(stack.node.tryFindChild(name) instanceof CfnParameter, name);
      assert.throws(() => new StratusStack(app, 'Ses', { sesReceiving: true, bundleDir: join(dir, 'bundles') }), /ingest/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
