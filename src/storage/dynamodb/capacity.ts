// Read and write capacity units of every DynamoDB call, as DynamoDB itself reports them (ReturnConsumedCapacity).
// The call meter adds them up per command, so the cost table in bench/RESULTS.md comes from DynamoDB's own figures.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export type CapacityKind = 'read' | 'write';

interface Consumed {
  CapacityUnits?: number;
}

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand', 'TransactGetItemsCommand']);

function total(consumed: Consumed | Consumed[] | undefined): number {
  if (consumed === undefined) return 0;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  return list.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
}

/** Asks every call of `client` for its consumed capacity and hands it to `record`. */
export function meterCapacity(client: DynamoDBClient, record: (kind: CapacityKind, units: number) => void): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string };
      // Table management calls take no such parameter.
      const command = context.commandName ?? '';
      const metered = /Item|Items|Query|Scan/.test(command);
      if (metered) input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      if (metered) {
        const units = total((result.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity);
        if (units > 0) record(READS.has(command) ? 'read' : 'write', units);
      }
      return result;
    },
    { step: 'initialize', name: 'stratusCapacityMeter' },
  );
}
