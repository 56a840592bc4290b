/**
 * Imported first by the offline run and the benchmarks: the toolchain runs on Node 20 while the
 * Lambdas target Node 24 (architecture.md, "Node 20"), and the SDK's notice about it would
 * interleave with the printed tables.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
