// Tests must never reach real AWS or the real Certyo: fail fast if an SDK client escapes its mock.
process.env.AWS_REGION ??= 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
// The toolchain runs on Node 20 while the Lambdas run on Node 24 (architecture.md, "Node 20"):
// the SDK's Node 22 notice is known and would drown test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
