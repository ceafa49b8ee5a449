import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * A pino logger that never prints a secret: known secret paths are redacted, and every string
 * that equals (or contains) one of `secrets` is masked before it is written.
 */
export function createLogger(options: { level: string; secrets: string[]; destination?: pino.DestinationStream }): Logger {
  const secrets = options.secrets.filter((s) => s.length >= 6);
  const mask = (text: string): string => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join('[REDACTED]');
    // Upstream keys and bearer tokens that are not ours (e.g. echoed in an error body).
    return (
      out
        .replace(/\bsk-[A-Za-z0-9_-]{6,}/g, 'sk-[REDACTED]')
        .replace(/(Bearer|Bot)\s+[A-Za-z0-9._-]{10,}/g, '$1 [REDACTED]')
        // Interaction tokens travel in webhook and callback paths.
        .replace(/\/(webhooks|interactions)\/(\d+)\/[A-Za-z0-9._-]{20,}/g, '/$1/$2/[REDACTED]')
    );
  };
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: {
        paths: [
          'token',
          '*.token',
          '*.*.token',
          'interaction.token',
          'headers.authorization',
          '*.headers.authorization',
          'apiKey',
          '*.apiKey',
          'discordToken',
          'toapisApiKey',
        ],
        censor: '[REDACTED]',
      },
      hooks: {
        // Masks the whole serialized line (messages, error stacks, nested fields) before writing.
        streamWrite: (line) => mask(line),
      },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
