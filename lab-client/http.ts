/** The route every crowd of the lab sends to: an issue through the strategy named in the path. */
export function issuePath(strategy: string, couponId: number | string): string {
  return `/v1/strategies/${strategy}/coupons/${couponId}/issues`;
}

/** A coupon's terms as `POST /v1/coupons` takes them (docs/http-api.md). */
export interface CouponTerms {
  title: string;
  totalQuantity: number;
  [field: string]: unknown;
}

/**
 * Creates a coupon on the server at `url` over its own API, as an operator would, and returns its
 * id. With `adminToken` (the ADMIN_TOKEN the server runs with) it sends `Authorization: Bearer`:
 * such a server refuses to create coupons without it. Throws, naming the server and what it
 * answered (or why it could not be reached), if no coupon was created.
 */
export async function createCouponOverHttp(url: string, terms: CouponTerms, adminToken?: string): Promise<number> {
  const failed = (why: string) => new Error(`could not create a coupon at ${url}: ${why}`);
  const response = await fetch(`${url}/v1/coupons`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}) },
    body: JSON.stringify(terms),
  }).catch((error: Error) => {
    throw failed((error.cause as Error | undefined)?.message ?? error.message);
  });
  const body = (await response.json().catch(() => ({}))) as { id?: unknown; code?: string; message?: string };
  if (response.status !== 201 || typeof body.id !== 'number') {
    throw failed([response.status, body.code, body.message].filter(Boolean).join(' '));
  }
  return body.id;
}

/**
 * How many requests `lua` accepted for the coupon that no consumer has written yet, as the server
 * reports it (`pendingQuantity`): for a server whose Redis and key prefix are not known here.
 */
export async function pendingOverHttp(url: string, couponId: number): Promise<number> {
  const response = await fetch(`${url}/v1/coupons/${couponId}`);
  const { pendingQuantity } = (await response.json().catch(() => ({}))) as { pendingQuantity?: unknown };
  if (typeof pendingQuantity !== 'number') {
    throw new Error(`GET /v1/coupons/${couponId} at ${url} answered ${response.status} without pendingQuantity`);
  }
  return pendingQuantity;
}
