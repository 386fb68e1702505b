/**
 * The numbers the lab's Lua scripts answer with, given names: code compares these, never a bare
 * number. Each script's header (the .lua file beside this one) says when it answers which.
 */

/** issue.lua. */
export enum Admission {
  ACCEPTED = 1,
  ALREADY_ISSUED = 2,
  SOLD_OUT = 3,
  NOT_IN_WINDOW = 4,
  TERMS_MISSING = 5,
  UNVERIFIED = 6,
}

/** write-terms.lua. */
export enum TermsWrite {
  WRITTEN = 1,
  NOT_NEWER = 2,
  NOT_LOADED = 3,
  RESTARTED = 4,
}

/** write-terms.lua's mode: `load` creates a missing hash; `refresh` only updates one a loader created. */
export type TermsWriteMode = 'load' | 'refresh';

/** bucket-issue.lua's first element. */
export enum BucketAdmission {
  RECEIVED = 0,
  ACCEPTED = 1,
  ALREADY_ISSUED = 2,
  SOLD_OUT = 3,
  NOT_IN_WINDOW = 4,
  TERMS_MISSING = 5,
  UNVERIFIED = 6,
  SEALED = 7,
  EMPTY = 8,
  EMPTY_MEMBER = 9,
}

/** bucket-look.lua's first element. */
export enum BucketState {
  ACTIVE = 0,
  TERMS_MISSING = 5,
  UNVERIFIED = 6,
  SEALED = 7,
}

/** bucket-seal.lua's first element. */
export enum Seal {
  SEALED = 1,
  SUPERSEDED = 2,
  STALE_TERMS = 3,
  RESTARTED = 4,
  TERMS_MISSING = 5,
  UNVERIFIED = 6,
}

/** bucket-credit.lua. */
export enum Credit {
  CREDITED = 1,
  SUPERSEDED = 2,
  ALREADY = 3,
  UNVERIFIED = 4,
}

/** bucket-seal.lua's mode: `load` after the sets were rebuilt; `resplit` keeps them. */
export type SealMode = 'load' | 'resplit';
