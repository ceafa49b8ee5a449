import { describe, expect, it } from 'vitest';
import { buildGenerationRequest } from '../../src/generation/request.js';
import { newTaskRecord } from '../../src/tasks/accept.js';
import { TaskRecordSchema, isFinished } from '../../src/tasks/record.js';
import { INTERACTION_ID, INTERACTION_TOKEN, interaction, rawOptions } from './records.js';

const CREATED_MS = 1_462_015_105_796; // snowflakeTime(INTERACTION_ID)
const NOW = CREATED_MS + 1_234;
const request = buildGenerationRequest(rawOptions({ seed: 7 }), { random: () => 0.5 });

describe('newTaskRecord', () => {
  const record = newTaskRecord(interaction(), request, { now: NOW, tokenMarginMs: 90_000 });

  it('takes its id and client_business_id from the interaction id', () => {
    expect(record.id).toBe(INTERACTION_ID);
    expect(record.clientBusinessId).toBe(`vidu-${INTERACTION_ID}`);
  });

  it('starts accepted, due now, with no attempts', () => {
    expect(record).toMatchObject({
      v: 1,
      state: 'accepted',
      createdAt: NOW,
      updatedAt: NOW,
      nextAt: NOW,
      attempts: 0,
      polls: 0,
    });
    expect(isFinished(record)).toBe(false);
    expect(record.upstream).toBeUndefined();
    expect(record.outcome).toBeUndefined();
    expect(record.delivered).toBeUndefined();
  });

  it('counts the token lifetime from the interaction creation, minus the margin', () => {
    // 1462015105796 + 15 min − 90 s
    expect(record.reply.tokenUsableUntil).toBe(CREATED_MS + 900_000 - 90_000);
    expect(record.reply.tokenUsableUntil).toBe(1_462_015_915_796);
    // Independent of when the record is written.
    const later = newTaskRecord(interaction(), request, { now: NOW + 300_000, tokenMarginMs: 90_000 });
    expect(later.reply.tokenUsableUntil).toBe(1_462_015_915_796);
    const noMargin = newTaskRecord(interaction(), request, { now: NOW, tokenMarginMs: 0 });
    expect(noMargin.reply.tokenUsableUntil).toBe(CREATED_MS + 900_000);
  });

  it('replies through the interaction webhook, keeping the reply coordinates', () => {
    expect(record.reply).toEqual({
      applicationId: '111111111111111111',
      token: INTERACTION_TOKEN,
      tokenUsableUntil: 1_462_015_915_796,
      messageId: '555555555555555555',
      ephemeral: false,
      route: 'webhook',
      dmNotice: false,
    });
  });

  it('records the owner and the attachment limit', () => {
    expect(record.owner).toEqual({
      userId: '222222222222222222',
      guildId: '333333333333333333',
      channelId: '444444444444444444',
      locale: 'en-US',
    });
    expect(record.attachmentSizeLimit).toBe(10 * 1024 * 1024);
    expect(record.request).toEqual(request);
  });

  it('passes TaskRecordSchema unchanged', () => {
    expect(TaskRecordSchema.parse(record)).toEqual(record);
  });

  it('passes TaskRecordSchema for a DM (no guild), ephemeral, no message id yet', () => {
    const dm = newTaskRecord(interaction({ guildId: null, messageId: null, ephemeral: true }), request, {
      now: NOW,
      tokenMarginMs: 90_000,
    });
    expect(dm.owner.guildId).toBeNull();
    expect(dm.reply.messageId).toBeNull();
    expect(dm.reply.ephemeral).toBe(true);
    expect(TaskRecordSchema.safeParse(dm).success).toBe(true);
  });

  it('uses a given clientBusinessId (re-roll)', () => {
    const reroll = newTaskRecord(interaction(), request, { now: NOW, tokenMarginMs: 90_000, clientBusinessId: 'vidu-reroll-9' });
    expect(reroll.id).toBe(INTERACTION_ID);
    expect(reroll.clientBusinessId).toBe('vidu-reroll-9');
  });

  it('cuts a long locale to the 16 characters the schema allows', () => {
    const odd = newTaskRecord(interaction({ locale: 'x-very-long-locale-tag' }), request, { now: NOW, tokenMarginMs: 0 });
    expect(odd.owner.locale).toBe('x-very-long-loca');
    expect(TaskRecordSchema.safeParse(odd).success).toBe(true);
  });

  it('passes TaskRecordSchema for an image request', () => {
    const withImages = buildGenerationRequest(
      rawOptions({
        model: 'viduq3',
        prompt: '@cat chases @dog',
        images: [
          { id: '1', filename: 'cat.png', size: 1000, contentType: 'image/png', url: 'https://cdn.discordapp.com/a/1/cat.png' },
          { id: '2', filename: 'dog.jpg', size: 2000, contentType: 'image/jpeg', url: 'https://cdn.discordapp.com/a/2/dog.jpg' },
        ],
      }),
      { random: () => 0.1 },
    );
    const r = newTaskRecord(interaction(), withImages, { now: NOW, tokenMarginMs: 90_000 });
    expect(TaskRecordSchema.parse(r).request.subjects.map((s) => s.name)).toEqual(['cat', 'dog']);
  });
});
