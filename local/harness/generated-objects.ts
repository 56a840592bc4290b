/**
 * An `ObjectSource` (the s3-ingest function's S3 port) whose objects are NDJSON generated on
 * the fly, streamed like a GetObject body. For objects too large to upload to a local S3
 * server in reasonable time (the 1 GiB memory benchmark); ranged reads are supported.
 */
import { ObjectSource } from '../../lambdas/s3-ingest/object-source';
import { ndjsonChunks, NdjsonSpec } from './ndjson';

export function generatedObjects(objects: Readonly<Record<string, NdjsonSpec>>): ObjectSource {
  return {
    async open(task, fromByte) {
      const spec = objects[task.key];
      if (!spec) return { found: false, reason: 'the object was deleted before it was processed' };
      return { found: true, object: { body: ndjsonChunks(spec, fromByte ?? 0), contentType: 'application/x-ndjson' } };
    },
  };
}
