// The Stratus stack: everything `cdk deploy` creates in an operator's account (DESIGN.md "AWS deployment").
// Frontend: ECS Fargate behind a Network Load Balancer. Functions: one Lambda per function family. Storage: the two
// DynamoDB tables and the S3 bucket of reference/storage-design.md §C1, §C8. Hints: ElastiCache Serverless (Valkey).
// Least privilege: the frontend may invoke the functions and reach the cache, nothing else; it never holds the
// session-token key, DynamoDB access or S3 access (message bytes move through presigned URLs the functions issue).
import { Aws, CfnOutput, CfnParameter, Duration, RemovalPolicy, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as autoscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sesActions from 'aws-cdk-lib/aws-ses-actions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { bundleFunction, DEFAULT_BUNDLE_DIR, REPO_ROOT } from './bundle.js';

/** What each function family may do. Adding a family (admin, ingest) is one entry here. */
export interface FamilyAccess {
  /** DynamoDB actions on the `mail` table. */
  mail: readonly string[];
  /** DynamoDB actions on the `msgmeta` table. */
  msgmeta: readonly string[];
  /** S3 actions on message objects (`t/*`), e.g. to issue presigned URLs or index a body. */
  blobs: readonly string[];
  /** S3 actions on SES's raw inbound objects (`inbound/*`); ingest only. */
  inbound?: readonly string[];
  /** s3:ListBucket on the mail bucket, for keys under `t/` only (the `s3:prefix` condition); the GC's alone. */
  listBlobs?: boolean;
  /** The object keys `blobs` applies to; default `t/*` (every owner's objects). The seal's: search segments only. */
  blobPrefix?: string;
  /** s3:GetObject on every object under `t/` besides `blobs`: the seal indexes new messages from their raw bytes. */
  readsBodies?: boolean;
  /** Sends search-segment seal requests (it commits UIDs): STRATUS_SEAL_QUEUE_URL and sqs:SendMessage on that queue. */
  requestsSeals?: boolean;
  /** Lambda memory (and so CPU); default 512 MiB. */
  memoryMiB?: number;
  /** Lambda timeout; default 15 s (a request), the GC's sweep gets Lambda's maximum. */
  timeoutSeconds?: number;
  /**
   * Who invokes it: the frontend (through the Lambda API), API Gateway (admin REST API), SES (receipt rule) or an
   * EventBridge schedule, or an SQS event source mapping (`queue`). Only `frontend` families are in the task role's
   * invoke policy and STRATUS_FUNCTION_* env.
   */
  caller: 'frontend' | 'api' | 'ses' | 'schedule' | 'queue';
}

const READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] as const;
const WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'] as const;

/**
 * The function families (DESIGN.md "The functions"; `FUNCTION_OF` in src/mailstore/functions.ts). Each becomes one
 * Lambda bundled from `functions/<family>.ts` with exactly these permissions.
 */
export const FAMILIES: Record<string, FamilyAccess> = {
  // auth.login reads the LOGIN item; it writes nothing.
  auth: { mail: READ, msgmeta: [], blobs: [], caller: 'frontend' },
  // mailbox.* commits to `mail` only; bodies are never touched here.
  mailbox: { mail: [...READ, ...WRITE], msgmeta: [], blobs: [], caller: 'frontend' },
  // message.* indexes APPENDed bytes (read), writes cold items, and presigns PUT/GET URLs for the frontend.
  message: {
    mail: [...READ, ...WRITE],
    msgmeta: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'],
    blobs: ['s3:GetObject', 's3:PutObject'],
    requestsSeals: true,
    memoryMiB: 1024,
    caller: 'frontend',
  },
  // quota.* (GETQUOTA/SETQUOTA) reads users and tenants; SETQUOTA updates their limits in one transaction.
  quota: { mail: [...READ, 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'], msgmeta: [], blobs: [], caller: 'frontend' },
  // acl.* (RFC 4314, src/mailstore/acl-store.ts): reads logins and META, writes META's ACL and the share index.
  acl: { mail: [...READ, ...WRITE], msgmeta: [], blobs: [], caller: 'frontend' },
  // admin.* (src/mailstore/tenants*.ts) touches `mail` only: tenants, domains, users, aliases, tokens.
  admin: { mail: [...READ, ...WRITE], msgmeta: [], blobs: [], caller: 'api' },
  // SES receiving (only with sesReceiving): reads SES's object under inbound/, stores the message under t/,
  // commits to `mail` and writes the cold items to `msgmeta`.
  ingest: {
    mail: [...READ, ...WRITE],
    msgmeta: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'],
    blobs: ['s3:PutObject'],
    inbound: ['s3:GetObject'],
    requestsSeals: true,
    caller: 'ses',
  },
  // The blob GC (src/mailstore/gc.ts, functions/gc.ts), daily by schedule: it lists each user's bodies under t/,
  // reads the directory and the hot items and change logs it marks from, and deletes unreferenced bodies (object and
  // cold item) and the tombstones of deleted owners. It never reads a body, so no s3:GetObject and no KMS key.
  gc: {
    mail: [...READ, 'dynamodb:DeleteItem'],
    msgmeta: ['dynamodb:DeleteItem'],
    blobs: ['s3:DeleteObject'],
    listBlobs: true,
    timeoutSeconds: 900,
    caller: 'schedule',
  },
  // The search-segment seal (src/mailstore/search-seal.ts, functions/seal.ts), fed by the seal-request queue: reads
  // META and the segment directory, queries the new hot items, reads their raw bytes to index them (cold items keep
  // no text since issue #8: search-docs.ts), reads and writes segment blobs (writes under t/…/q/… only, never a
  // message body) and swaps the directory item with a conditional put. No commit, so no hints; a first seal of a very
  // large mailbox reads every new message, hence Lambda's maximum time.
  seal: {
    mail: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'],
    msgmeta: [],
    blobs: ['s3:GetObject', 's3:PutObject'],
    blobPrefix: 't/*/u/*/q/*',
    readsBodies: true,
    timeoutSeconds: 900,
    memoryMiB: 1024,
    caller: 'queue',
  },
};

/**
 * The seal-request queue (FIFO, one message group per mailbox): up to SEAL_BATCH_SIZE requests per invocation, at
 * most SEAL_MAX_CONCURRENCY invocations at once (the event source mapping's cap, so a burst of seals cannot crowd the
 * tables), and a request that failed SEAL_MAX_RECEIVES times goes to the dead-letter queue (alarmed).
 */
export const SEAL_BATCH_SIZE = 10;
export const SEAL_MAX_CONCURRENCY = 10;
export const SEAL_MAX_RECEIVES = 5;

/** When the GC runs (EventBridge schedule expression) and how old an unreferenced body must be to go. */
export const GC_SCHEDULE = 'rate(1 day)';
export const GC_GRACE_HOURS = 24;

/** Where SES's S3 action writes raw inbound mail (the ingest function reads only here). */
export const INBOUND_PREFIX = 'inbound/';

/** API Gateway stage throttling of the admin REST API (requests per second, burst). */
export const ADMIN_API_THROTTLE = { rateLimit: 20, burstLimit: 40 } as const;

/** Container ports of the frontend (unprivileged: the container runs as a non-root user). */
export const PORTS = {
  imap: 1143,
  /** IMAP whose TLS the NLB terminated (993): the session counts as secure. */
  imapTls: 1993,
  pop3: 1110,
  pop3Tls: 1995,
  health: 8081,
} as const;

export interface StratusStackProps extends StackProps {
  /** The mail domain (SES recipients, DNS names in the outputs); a CloudFormation parameter when omitted. */
  domainName?: string;
  /** ACM certificate for the TLS listeners (993, 995); a CloudFormation parameter when omitted. */
  certificateArn?: string;
  /** Frontend tasks normally running (at least 2 for two AZs). */
  desiredCount?: number;
  /** Upper bound for autoscaling. */
  maxCount?: number;
  /** SES inbound: receipt rule set → S3 (`inbound/`) → ingest function (`functions/ingest.ts`). */
  sesReceiving?: boolean;
  /** Where the function bundles are written (tests use a temporary folder). */
  bundleDir?: string;
  /** The GC's grace period in hours (STRATUS_GC_GRACE_HOURS of the gc function); default GC_GRACE_HOURS. */
  gcGraceHours?: number;
}

export class StratusStack extends Stack {
  readonly functions: Record<string, lambda.Function> = {};

  constructor(scope: Construct, id: string, props: StratusStackProps = {}) {
    super(scope, id, props);
    const desiredCount = props.desiredCount ?? 2;
    const maxCount = Math.max(props.maxCount ?? 10, desiredCount);
    const certificateArn =
      props.certificateArn ??
      new CfnParameter(this, 'CertificateArn', {
        type: 'String',
        description: 'ACM certificate ARN for the TLS listeners 993 and 995',
      }).valueAsString;
    const domainName =
      props.domainName ??
      new CfnParameter(this, 'DomainName', { type: 'String', description: 'Mail domain, e.g. example.com' })
        .valueAsString;
    const sesReceiving = props.sesReceiving ?? false;

    // ---- Network: two AZs, one NAT gateway, free gateway endpoints for DynamoDB and S3 (§D3 "fixed costs").
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    const privateSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    // ---- Storage (§C1): pooled tables, on-demand, PITR, deletion protection, KMS encryption; no GSI/LSI.
    const tableProps = {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    const mailTable = new dynamodb.Table(this, 'MailTable', { ...tableProps, timeToLiveAttribute: 'ttl' });
    const msgmetaTable = new dynamodb.Table(this, 'MsgmetaTable', tableProps);

    // ---- Message bytes (§C8): SSE-KMS with a bucket key, no public access, TLS only, versioned (noncurrent kept
    // at least the 35-day PITR window), incomplete multipart uploads aborted after a day.
    const bucketKey = new kms.Key(this, 'BucketKey', {
      description: 'Stratus message bodies',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const bucket = new s3.Bucket(this, 'MailBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: bucketKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: 'noncurrent-versions', noncurrentVersionExpiration: Duration.days(35) },
        { id: 'incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- Session-token key: only the functions get it; a frontend holding it could forge any user's token.
    const tokenKey = new secretsmanager.Secret(this, 'TokenKey', {
      description: 'Stratus session-token signing key (base64 alphabet, 48 bytes decoded)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The operator's admin token (admin API bearer, may do everything): only the admin function gets it.
    const adminToken = new secretsmanager.Secret(this, 'AdminToken', {
      description: 'Stratus operator admin token (Authorization: Bearer … on the admin API)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- Hints between frontends (§C9): ElastiCache Serverless, Valkey, TLS, in the private subnets.
    const cacheSg = new ec2.SecurityGroup(this, 'CacheSg', { vpc, description: 'Valkey hints', allowAllOutbound: false });
    const cache = new elasticache.CfnServerlessCache(this, 'Hints', {
      engine: 'valkey',
      majorEngineVersion: '8',
      serverlessCacheName: `${this.stackName.toLowerCase()}-hints`.slice(0, 40),
      description: 'Stratus change hints (pub/sub)',
      subnetIds: vpc.selectSubnets(privateSubnets).subnetIds,
      securityGroupIds: [cacheSg.securityGroupId],
    });
    const redisUrl = `rediss://${cache.attrEndpointAddress}:${cache.attrEndpointPort}`;
    const cacheArn = cache.attrArn;

    // ---- Functions: one Lambda per family, Node.js 22 on arm64, in the VPC (they publish hints).
    const functionSg = new ec2.SecurityGroup(this, 'FunctionSg', { vpc, description: 'Stratus functions' });
    cacheSg.addIngressRule(functionSg, ec2.Port.tcp(6379), 'functions publish hints');
    const bundleDir = props.bundleDir ?? DEFAULT_BUNDLE_DIR;

    // ---- Search-segment seal requests (src/server/seal-requests.ts): the functions that commit UIDs send one per due
    // mailbox; the seal function consumes them. FIFO, grouped by mailbox (seals of one mailbox never overlap) with
    // deduplication per group; SQS-managed encryption (a body is a mailbox id), TLS only. Visibility: 6× the seal's
    // timeout (AWS's advice for event source mappings).
    const sealTimeout = Duration.seconds(FAMILIES.seal!.timeoutSeconds ?? 15);
    const sealDlq = new sqs.Queue(this, 'SealDeadLetters', {
      fifo: true,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const sealQueue = new sqs.Queue(this, 'SealRequests', {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      visibilityTimeout: Duration.seconds(sealTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: sealDlq, maxReceiveCount: SEAL_MAX_RECEIVES },
    });

    for (const [family, access] of Object.entries(FAMILIES)) {
      if (access.caller === 'ses' && !sesReceiving) continue;
      const logGroup = new logs.LogGroup(this, `${pascal(family)}Logs`, {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const fn = new lambda.Function(this, `${pascal(family)}Function`, {
        description: `Stratus ${family} function family`,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        handler: 'index.handler',
        code: lambda.Code.fromAsset(bundleFunction(family, bundleDir)),
        memorySize: access.memoryMiB ?? 512,
        timeout: Duration.seconds(access.timeoutSeconds ?? 15),
        // A scheduled sweep runs alone: the next one waits rather than sweeping the same users beside it.
        ...(access.caller === 'schedule' ? { reservedConcurrentExecutions: 1 } : {}),
        vpc,
        vpcSubnets: privateSubnets,
        securityGroups: [functionSg],
        logGroup,
        environment: {
          NODE_OPTIONS: '--enable-source-maps',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          STRATUS_BACKEND: 'aws',
          STRATUS_TABLE_MAIL: mailTable.tableName,
          STRATUS_TABLE_MSGMETA: msgmetaTable.tableName,
          STRATUS_S3_BUCKET: bucket.bucketName,
          STRATUS_PRESIGN_SECONDS: '300',
          STRATUS_REDIS_URL: redisUrl,
          // A dynamic reference: CloudFormation resolves it at deploy time; the value never appears in the template.
          STRATUS_TOKEN_KEY: SecretValue.secretsManager(tokenKey.secretArn).unsafeUnwrap(),
          ...(family === 'admin'
            ? { STRATUS_ADMIN_TOKEN: SecretValue.secretsManager(adminToken.secretArn).unsafeUnwrap() }
            : {}),
          ...(access.inbound ? { STRATUS_INGEST_BUCKET: bucket.bucketName, STRATUS_INGEST_PREFIX: INBOUND_PREFIX } : {}),
          ...(family === 'gc' ? { STRATUS_GC_GRACE_HOURS: String(props.gcGraceHours ?? GC_GRACE_HOURS) } : {}),
          ...(access.requestsSeals ? { STRATUS_SEAL_QUEUE_URL: sealQueue.queueUrl } : {}),
        },
      });
      grantTable(fn, mailTable, access.mail);
      grantTable(fn, msgmetaTable, access.msgmeta);
      if (access.inbound) {
        fn.addToRolePolicy(
          new iam.PolicyStatement({ actions: [...access.inbound], resources: [bucket.arnForObjects(`${INBOUND_PREFIX}*`)] }),
        );
      }
      if (access.listBlobs) {
        // Listing is a bucket-level action: the condition keeps it to the tenant key space (§C2).
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [bucket.bucketArn],
            conditions: { StringLike: { 's3:prefix': ['t/*'] } },
          }),
        );
      }
      if (access.blobs.length > 0) {
        fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...access.blobs], resources: [bucket.arnForObjects(access.blobPrefix ?? 't/*')] }));
      }
      if (access.readsBodies) {
        fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('t/*')] }));
      }
      // Reading or writing a body uses the bucket key; deleting or listing does not.
      if (access.blobs.some((a) => a === 's3:GetObject' || a === 's3:PutObject')) {
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: [bucketKey.keyArn],
          }),
        );
      }
      // Only sending (the queue's encryption is SQS-managed: no KMS permission needed).
      if (access.requestsSeals) fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [sealQueue.queueArn] }));
      // The GC and the seal commit nothing, so they publish no hints.
      if (family !== 'gc' && family !== 'seal') fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['elasticache:Connect'], resources: [cacheArn] }));
      this.functions[family] = fn;
    }

    // ---- Blob GC (§C8): EventBridge invokes the gc function on a schedule with no scope, i.e. every tenant and the
    // prefixes of deleted owners. Two runs could overlap safely (each deletes only what it finds unreferenced and
    // old), but the reserved concurrency of 1 keeps a slow run from being joined by the next.
    const gcRule = new events.Rule(this, 'GcSchedule', {
      description: 'Stratus blob GC (mark and sweep of unreferenced message bodies)',
      schedule: events.Schedule.expression(GC_SCHEDULE),
    });
    gcRule.addTarget(new eventTargets.LambdaFunction(this.functions.gc!, { event: events.RuleTargetInput.fromObject({}), retryAttempts: 2 }));

    // ---- Seals: the queue feeds the seal function; a failed request is retried (with the later requests of the same
    // mailbox in its batch: the FIFO rule) and after SEAL_MAX_RECEIVES goes to the dead-letter queue. The mapping grants the seal role the
    // receive/delete actions on this queue only.
    this.functions.seal!.addEventSource(
      new lambdaEvents.SqsEventSource(sealQueue, {
        batchSize: SEAL_BATCH_SIZE,
        maxConcurrency: SEAL_MAX_CONCURRENCY,
        reportBatchItemFailures: true,
      }),
    );

    // ---- Frontend: Fargate (arm64) from the repository's Dockerfile, behind the NLB.
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'FrontendTask', {
      cpu: 1024,
      memoryLimitMiB: 2048,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const functionEnv: Record<string, string> = {};
    for (const [family, fn] of Object.entries(this.functions)) {
      if (FAMILIES[family]!.caller !== 'frontend') continue;
      functionEnv[`STRATUS_FUNCTION_${family.toUpperCase()}`] = fn.functionName;
    }
    const container = taskDefinition.addContainer('frontend', {
      image: ecs.ContainerImage.fromAsset(REPO_ROOT, { platform: ecrAssets.Platform.LINUX_ARM64 }),
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'frontend',
        logGroup: new logs.LogGroup(this, 'FrontendLogs', {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      }),
      environment: {
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        STRATUS_BACKEND: 'aws',
        STRATUS_FUNCTIONS: 'lambda',
        ...functionEnv,
        STRATUS_HOST: '0.0.0.0',
        STRATUS_IMAP_PORT: String(PORTS.imap),
        STRATUS_IMAP_TLS_OFFLOAD_PORT: String(PORTS.imapTls),
        // Inbound mail arrives through SES → ingest, never LMTP: the frontend holds no key to mint agent tokens.
        STRATUS_LMTP_PORT: 'off',
        // The admin API is served by API Gateway → admin function in AWS, never by the frontend.
        STRATUS_ADMIN_PORT: 'off',
        STRATUS_POP3_PORT: String(PORTS.pop3),
        STRATUS_POP3_TLS_OFFLOAD_PORT: String(PORTS.pop3Tls),
        STRATUS_HEALTH_PORT: String(PORTS.health),
        STRATUS_REDIS_URL: redisUrl,
        STRATUS_DOMAIN: domainName,
      },
      portMappings: Object.values(PORTS).map((containerPort) => ({ containerPort, protocol: ecs.Protocol.TCP })),
      // SIGTERM → stop accepting, health 503, BYE every session; Fargate allows at most 120 s before SIGKILL.
      stopTimeout: Duration.seconds(120),
      healthCheck: {
        command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${PORTS.health}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
    });
    const frontendSg = new ec2.SecurityGroup(this, 'FrontendSg', { vpc, description: 'Stratus frontend tasks' });
    cacheSg.addIngressRule(frontendSg, ec2.Port.tcp(6379), 'frontends subscribe to hints');
    const service = new ecs.FargateService(this, 'Frontend', {
      cluster,
      taskDefinition,
      desiredCount,
      vpcSubnets: privateSubnets,
      securityGroups: [frontendSg],
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(60),
    });
    // The task role: invoke the functions and connect to the cache. No DynamoDB, no S3, no token key.
    const taskRole = taskDefinition.taskRole;
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: Object.entries(this.functions)
          .filter(([family]) => FAMILIES[family]!.caller === 'frontend')
          .map(([, fn]) => fn.functionArn),
      }),
    );
    taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['elasticache:Connect'], resources: [cacheArn] }));

    const nlb = new elbv2.NetworkLoadBalancer(this, 'Nlb', {
      vpc,
      internetFacing: true,
      crossZoneEnabled: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    });
    const certificates = [elbv2.ListenerCertificate.fromArn(certificateArn)];
    const listeners: { port: number; tls: boolean; target: number; name: string }[] = [
      { name: 'Imap', port: 143, tls: false, target: PORTS.imap },
      { name: 'Imaps', port: 993, tls: true, target: PORTS.imapTls },
      { name: 'Pop3', port: 110, tls: false, target: PORTS.pop3 },
      { name: 'Pop3s', port: 995, tls: true, target: PORTS.pop3Tls },
    ];
    const targetGroups: elbv2.NetworkTargetGroup[] = [];
    for (const l of listeners) {
      const listener = nlb.addListener(`${l.name}Listener`, {
        port: l.port,
        protocol: l.tls ? elbv2.Protocol.TLS : elbv2.Protocol.TCP,
        ...(l.tls ? { certificates, sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS } : {}),
      });
      const tg = listener.addTargets(`${l.name}Targets`, {
        port: l.target,
        protocol: elbv2.Protocol.TCP,
        targets: [service.loadBalancerTarget({ containerName: container.containerName, containerPort: l.target })],
        // Sessions (IDLE lasts up to 29 minutes) get time to finish; the task itself BYEs them on SIGTERM.
        deregistrationDelay: Duration.seconds(120),
        healthCheck: {
          protocol: elbv2.Protocol.HTTP,
          port: String(PORTS.health),
          path: '/health',
          interval: Duration.seconds(10),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 2,
        },
      });
      targetGroups.push(tg);
    }
    // IP targets behind TCP/TLS listeners see the NLB's own VPC addresses (client IP preservation is off for them),
    // so only the VPC may reach the task ports.
    for (const port of Object.values(PORTS)) {
      frontendSg.addIngressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(port), `NLB to ${port}`);
    }

    // ---- Autoscaling on CPU and on connections (NLB active flows).
    const scaling = service.autoScaleTaskCount({ minCapacity: desiredCount, maxCapacity: maxCount });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: 60,
      scaleInCooldown: Duration.minutes(10),
      scaleOutCooldown: Duration.minutes(2),
    });
    const activeFlows = new cloudwatch.Metric({
      namespace: 'AWS/NetworkELB',
      metricName: 'ActiveFlowCount',
      dimensionsMap: { LoadBalancer: nlb.loadBalancerFullName },
      statistic: 'Average',
      period: Duration.minutes(1),
    });
    // Sized at ~5,000 connections per task (§D3 assumes 10k per vCPU; half of that leaves headroom).
    scaling.scaleOnMetric('Connections', {
      metric: activeFlows,
      adjustmentType: autoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      scalingSteps: [
        { upper: 2_500 * desiredCount, change: -1 },
        { lower: 5_000 * desiredCount, change: +1 },
        { lower: 10_000 * desiredCount, change: +2 },
      ],
      cooldown: Duration.minutes(5),
    });

    // ---- Admin REST API: API Gateway (REST, regional) → admin function, Lambda proxy integration, stage
    // throttling, JSON access logs. The admin function authorises every request itself (bearer tokens).
    const adminAccessLogs = new logs.LogGroup(this, 'AdminApiAccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const adminApi = new apigateway.LambdaRestApi(this, 'AdminApi', {
      handler: this.functions.admin!,
      proxy: true,
      description: 'Stratus admin API (tenants, domains, users, quotas, tokens)',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: ADMIN_API_THROTTLE.rateLimit,
        throttlingBurstLimit: ADMIN_API_THROTTLE.burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(adminAccessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        metricsEnabled: true,
      },
    });

    // ---- SES receiving (optional): receipt rule for the domain → S3 action (inbound/) → ingest (asynchronous).
    // The S3 action gets no kmsKey: that would make SES encrypt client-side (S3 encryption client format), which a
    // plain GetObject cannot read. The bucket's default SSE-KMS applies instead, so SES (writing as itself) needs
    // GenerateDataKey/Encrypt on the bucket key through the key policy; sesActions.S3 adds the bucket policy
    // statement (ses.amazonaws.com s3:PutObject on inbound/*, aws:SourceAccount = this account).
    if (sesReceiving) {
      const ingest = this.functions.ingest!;
      bucketKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'SesWritesInboundMail',
          principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
          actions: ['kms:GenerateDataKey', 'kms:Encrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      );
      bucket.addLifecycleRule({ id: 'inbound-processed', prefix: INBOUND_PREFIX, expiration: Duration.days(14) });
      const ruleSet = new ses.ReceiptRuleSet(this, 'InboundRules', {
        dropSpam: false,
        rules: [
          {
            recipients: [domainName],
            scanEnabled: true,
            actions: [
              new sesActions.S3({ bucket, objectKeyPrefix: INBOUND_PREFIX }),
              new sesActions.Lambda({ function: ingest, invocationType: sesActions.LambdaInvocationType.EVENT }),
            ],
          },
        ],
      });
      new CfnOutput(this, 'ReceiptRuleSetName', {
        value: ruleSet.receiptRuleSetName,
        description: 'Activate it: aws ses set-active-receipt-rule-set --rule-set-name <value>',
      });
    }

    // ---- Alarms and a dashboard.
    const alarmTopic = new sns.Topic(this, 'Alarms', { displayName: 'Stratus alarms' });
    const alarmAction = new cwActions.SnsAction(alarmTopic);
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm => {
      const a = new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(alarmAction);
      alarms.push(a);
      return a;
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
    for (const [family, fn] of Object.entries(this.functions)) {
      alarm(`${pascal(family)}Errors`, fn.metricErrors(fiveMinutes), `The ${family} function failed`);
      alarm(`${pascal(family)}Throttles`, fn.metricThrottles(fiveMinutes), `The ${family} function was throttled`);
    }
    for (const [name, table] of [['Mail', mailTable], ['Msgmeta', msgmetaTable]] as const) {
      alarm(`${name}ReadThrottles`, table.metric('ReadThrottleEvents', fiveMinutes), `Reads of ${name} were throttled`);
      alarm(`${name}WriteThrottles`, table.metric('WriteThrottleEvents', fiveMinutes), `Writes to ${name} were throttled`);
    }
    alarm('AdminApi5xx', adminApi.metricServerError(fiveMinutes), 'The admin API answered 5xx');
    alarm(
      'SealRequestsDead',
      sealDlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      `A search-segment seal failed ${SEAL_MAX_RECEIVES} times (SEARCH stays correct, reading the unsealed tail)`,
    );
    targetGroups.forEach((tg, i) => {
      alarm(
        `${listeners[i]!.name}UnhealthyHosts`,
        tg.metrics.unHealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' }),
        `A frontend behind port ${listeners[i]!.port} is unhealthy`,
      );
    });

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `${this.stackName}-overview` });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Connections (NLB active flows)', left: [activeFlows] }),
      new cloudwatch.GraphWidget({
        title: 'Frontend CPU / memory',
        left: [service.metricCpuUtilization()],
        right: [service.metricMemoryUtilization()],
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function invocations',
        left: Object.values(this.functions).map((fn) => fn.metricInvocations(fiveMinutes)),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration p99',
        left: Object.values(this.functions).map((fn) => fn.metricDuration({ statistic: 'p99' })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function errors / throttles',
        left: Object.values(this.functions).map((fn) => fn.metricErrors(fiveMinutes)),
        right: Object.values(this.functions).map((fn) => fn.metricThrottles(fiveMinutes)),
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'DynamoDB consumed capacity',
        left: [mailTable.metricConsumedReadCapacityUnits(), msgmetaTable.metricConsumedReadCapacityUnits()],
        right: [mailTable.metricConsumedWriteCapacityUnits(), msgmetaTable.metricConsumedWriteCapacityUnits()],
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms }),
    );

    new CfnOutput(this, 'LoadBalancerDns', { value: nlb.loadBalancerDnsName, description: 'CNAME target for imap./pop. names' });
    new CfnOutput(this, 'MailTableName', { value: mailTable.tableName });
    new CfnOutput(this, 'MsgmetaTableName', { value: msgmetaTable.tableName });
    new CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarmTopic.topicArn, description: 'Subscribe to receive alarms' });
    new CfnOutput(this, 'TokenKeySecretArn', { value: tokenKey.secretArn });
    new CfnOutput(this, 'AdminTokenSecretArn', {
      value: adminToken.secretArn,
      description: 'The operator admin token: aws secretsmanager get-secret-value --secret-id <value>',
    });
    new CfnOutput(this, 'AdminApiUrl', { value: adminApi.url, description: 'Admin REST API base URL' });
    new CfnOutput(this, 'Domain', { value: domainName });
  }
}

function grantTable(fn: lambda.Function, table: dynamodb.Table, actions: readonly string[]): void {
  if (actions.length === 0) return;
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...actions], resources: [table.tableArn] }));
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
