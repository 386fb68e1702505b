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
