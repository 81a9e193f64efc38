import type { Identify, IdentifyResult } from '../types.js'

/**
 * What every resolver in this folder returns: an {@link Identify} that always answers with a
 * promise. Assignable wherever an `Identify<Req>` is expected.
 */
export type IdentityResolver<Req> = (request: Req) => Promise<IdentifyResult>
