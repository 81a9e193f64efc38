/** The signed webhook of reference/polar-api.md: Polar's signature of `body` under `secret`. */
export const WEBHOOK_VECTOR = {
  secret: 'whsec_TESTSECRETabcdefghijklmnopqrstuvwxyz012345',
  id: '0f0e2c1a-6d7b-4c55-9d8e-1a2b3c4d5e6f',
  timestamp: 1767225600,
  body: '{"type":"customer.deleted","timestamp":"2026-01-01T00:00:00Z","data":{"id":"x"}}',
  signature: 'v1,wKrfiMS/KQSA/Yo7C7B3LUMgZu5wsHLb5jDHqrL2My4=',
  /** Its delivery headers. */
  headers: {
    'webhook-id': '0f0e2c1a-6d7b-4c55-9d8e-1a2b3c4d5e6f',
    'webhook-timestamp': '1767225600',
    'webhook-signature': 'v1,wKrfiMS/KQSA/Yo7C7B3LUMgZu5wsHLb5jDHqrL2My4=',
  },
  /** The clock at its timestamp. */
  now: () => 1767225600_000,
} as const
