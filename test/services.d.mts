// Types of test/services.mjs, for TypeScript scripts (benchmarks) that start the same local services.
export interface RunningServices {
  dynamodbEndpoint: string;
  s3Endpoint: string;
  s3Bucket: string;
  stop(): Promise<void>;
}

export function startServices(): Promise<RunningServices>;
