import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ITable, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * The key's shared rate budget (`lambdas/shared/rate-budget.ts`): one small item per Certyo key
 * recording what Certyo last said (requests remaining, window end, `Retry-After`) and the
 * requests in flight, read and written by compare-and-set before and after every request of
 * every ingest Lambda, so concurrent instances spend the 1,000 requests/hour as one client.
 * On-demand (about four small calls per Certyo request, more when instances collide: the
 * concurrency bench counts them), items expire a day after the window they describe.
 */
export class RateBudgetTable extends Construct {
  public readonly table: ITable;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      // Nothing to keep: the record describes the current rate window and rebuilds itself from
      // Certyo's next response.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason: 'The budget record describes only the current rate window and is rebuilt from the next Certyo response; a point-in-time restore would restore stale limits.',
    });
    this.table = table;
  }

  /** Lets `grantee` read and compare-and-set the record (GetItem, PutItem on this table only). */
  grantUse(grantee: IGrantable): void {
    this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem');
  }
}
