/**
 * The fake Discord (REST v10 + gateway) for end-to-end tests. The implementation lives in
 * ./discord/, one file per responsibility (see ./discord/fake.ts); this module keeps the one
 * import path every test uses.
 */
export { FakeDiscord, startFakeDiscord } from './discord/fake.js';
export { visibleAttachments } from './discord/payloads.js';
export { rateLimited } from './discord/ratelimits.js';
export type {
  AddAttachmentInput,
  CallMatcher,
  CdnDownload,
  ChannelAccess,
  CommandPutRecord,
  FakeCall,
  FakeCallback,
  FakeChannelSpec,
  FakeCommand,
  FakeDiscordOptions,
  FakeGuildSpec,
  FakeInteraction,
  FakeMessage,
  FakeMessageRevision,
  FakeStoredAttachment,
  FaultHandle,
  FaultSpec,
  FileSummary,
  IdentifyRecord,
  RateLimitSpec,
  WaitOptions,
} from './discord/types.js';
