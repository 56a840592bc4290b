/**
 * Generated MongoDB change events for the local run, the benchmark and the tests: inserts of
 * distinct documents in canonical Extended JSON (as DocumentDB sends them), each with an Int64
 * beyond 2^53 and a 34-digit Decimal128, so every consumer also exercises exact digits.
 */
export function documentDbChanges(count: number, from = 0): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const oid = n.toString(16).padStart(24, '0');
    return {
      _id: { _data: `82${n.toString(16).padStart(16, '0').toUpperCase()}2B022C0100296E5A1004` },
      operationType: 'insert',
      clusterTime: { $timestamp: { t: 1676588775 + n, i: 1 } },
      ns: { db: 'shop', coll: 'orders' },
      documentKey: { _id: { $oid: oid } },
      fullDocument: { _id: { $oid: oid }, seq: { $numberLong: (9007199254740993n + BigInt(n)).toString() }, total: { $numberDecimal: '1234567890123456789012345678.901234' } },
    };
  });
}
