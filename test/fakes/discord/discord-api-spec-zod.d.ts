// discord-api-spec ships its zod schemas as plain JS (its "types" entry points at the .js file),
// so TypeScript sees no types. These are the schemas the fake Discord uses, typed as zod/mini schemas.
declare module 'discord-api-spec/zod' {
  import type * as z from 'zod/mini';
  type Schema = z.ZodMiniType;
  export const ApplicationCommandUpdateRequestSchema: Schema;
  export const PongInteractionCallbackRequestSchema: Schema;
  export const CreateMessageInteractionCallbackRequestSchema: Schema;
  export const UpdateMessageInteractionCallbackRequestSchema: Schema;
  export const ApplicationCommandAutocompleteCallbackRequestSchema: Schema;
  export const ModalInteractionCallbackRequestSchema: Schema;
  export const LaunchActivityInteractionCallbackRequestSchema: Schema;
  export const IncomingWebhookRequestPartialSchema: Schema;
  export const IncomingWebhookUpdateRequestPartialSchema: Schema;
  export const CreatePrivateChannelRequestSchema: Schema;
  export const MessageCreateRequestSchema: Schema;
  export const MessageEditRequestPartialSchema: Schema;
}
