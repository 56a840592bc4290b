/** API Gateway (Lambda proxy) answers in Certyo's error shape `{"error", "message"}`, so clients parse one error format. */
import type { APIGatewayProxyResult } from 'aws-lambda';

export function jsonReply(statusCode: number, body: Record<string, unknown>, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export const errorReply = (statusCode: number, error: string, message: string, headers: Record<string, string> = {}): APIGatewayProxyResult =>
  jsonReply(statusCode, { error, message }, headers);
