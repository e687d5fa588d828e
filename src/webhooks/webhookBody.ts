/**
 * The Standard Webhooks body `{ type, timestamp, data }`. `data` is stored as JSON text and spliced
 * in as it is: a final state of megabytes is never parsed and re-serialised.
 */
export function webhookBody(type: string, createdAt: number, data: string): string {
  return `{"type":${JSON.stringify(type)},"timestamp":${JSON.stringify(new Date(createdAt).toISOString())},"data":${data}}`;
}
