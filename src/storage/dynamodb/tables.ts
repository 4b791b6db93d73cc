// Creates the two KV tables (pk S HASH, sk S RANGE, on-demand), for tests and the embedded-on-DynamoDB mode.
// In AWS the tables come from cdk/, with PITR and deletion protection.
import { CreateTableCommand, waitUntilTableExists, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface KvTableNames {
  mail: string;
  msgmeta: string;
}

/** Creates each table unless it exists, and waits until all are ACTIVE. */
export async function createKvTables(client: DynamoDBClient, tables: KvTableNames): Promise<void> {
  for (const name of [tables.mail, tables.msgmeta]) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (err) {
      if (!(err instanceof Error && err.name === 'ResourceInUseException')) throw err;
    }
  }
  for (const name of [tables.mail, tables.msgmeta]) {
    await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: name });
  }
}
