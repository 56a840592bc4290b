#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { ConfigError } from '../lib/config';

try {
  buildApp(new App());
} catch (error) {
  if (error instanceof ConfigError) {
    // A configuration mistake is the user's to fix: print the message, not a stack trace.
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
