import { afterEach, describe, expect, it } from 'vitest';
import { visibleAttachments, type FakeMessage } from '../fakes/discord.js';
import { messageContextMenu, modalSubmit, rawMessage, slashCommand, textInputValue } from '../fakes/interactions.js';
import { pngBytes } from '../support/images.js';
import { messageText, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The immediate answer to an interaction (a reply, a deferral or a modal). */
async function firstResponse(w: World, raw: { id: string }) {
  return w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300));
}

/** The reply once it shows a final state, in any language: ✅ (video) or ❌ (failure). */
async function finalMessage(w: World, token: string): Promise<FakeMessage> {
  return w.discord.waitFor(
    () => {
      const m = w.discord.originalMessage(token);
      return m && /✅|❌/.test(messageText(m)) ? m : undefined;
    },
    { timeoutMs: 15_000, description: 'final message' },
  );
}

describe('members get answers in their Discord locale', () => {
  it('zh-CN: a /vidu over the per-minute limit is refused in Chinese', async () => {
    world = await startWorld({ env: { VIDU_USER_SUBMITS_PER_MINUTE: '1' } });
    const first = world.vidu({ locale: 'zh-CN' });
    await world.discord.injectInteraction(first);
    expect((await firstResponse(world, first)).type).toBe(5);

    const second = world.vidu({ locale: 'zh-CN', prompt: 'a second one' });
    await world.discord.injectInteraction(second);
    const cb = await firstResponse(world, second);
    expect(cb.type).toBe(4);
    const data = cb.data as { content: string; flags: number };
    expect(data.flags & 64).toBe(64);
    expect(data.content).toMatch(/^⚠️ 你每分钟最多可以发起 1 个视频。请在 <t:\d+:R>再试。$/);
    expect(world.toapis.stats.tasksCreated).toBeLessThanOrEqual(1);
  });

  it('zh-CN: Animate with Vidu shows a Chinese form, and a bad duration is refused in Chinese', async () => {
    world = await startWorld();
    const image = world.image('pic.png', pngBytes(7), 'image/png');
    const menu = messageContextMenu({ name: 'Animate with Vidu', targetMessage: rawMessage({ attachments: [image] }), locale: 'zh-CN' });
    await world.discord.injectInteraction(menu);
    const modal = await firstResponse(world, menu);
    expect(modal.type).toBe(9);
    expect((modal.data as { title: string }).title).toBe('用 Vidu 让这张图片动起来');

    const submit = modalSubmit({
      customId: `animate:go:${menu.id}`,
      locale: 'zh-CN',
      components: [
        textInputValue('prompt', 'make it move'),
        { type: 18, id: 3, component: { type: 3, id: 4, custom_id: 'model', values: ['viduq3'] } },
        textInputValue('duration', '2', 5),
      ],
    });
    await world.discord.injectInteraction(submit);
    const cb = await firstResponse(world, submit);
    expect(cb.type).toBe(4);
    expect((cb.data as { content: string }).content).toBe(
      '⚠️ viduq3 可生成 3–16 秒的视频，2 不在此范围内。请选择 3 到 16 之间的时长（viduq3-pro 或 viduq3-turbo 可以生成 2 秒）。',
    );
    expect(world.toapis.stats.submitRequests).toBe(0);
  });

  it('ko: the finished video message is in Korean, buttons included', async () => {
    world = await startWorld();
    const raw = world.vidu({ locale: 'ko', options: { model: 'viduq3-pro', duration: 4, seed: 7 } });
    await world.discord.injectInteraction(raw);
    const message = await finalMessage(world, raw.token);
    expect(visibleAttachments(message)).toHaveLength(1);
    const text = messageText(message);
    expect(text).toContain('viduq3-pro · 텍스트→영상 · 4 s · 720p · 오디오 켬 · 시드 7');
    expect(text).toMatch(/요청자 <@\d+>/);
    expect(text).toMatch(/-# ✅ \d+초 만에 완료/);
    for (const label of ['다시 생성', '수정 후 다시 실행', '이어서 만들기', '세부 정보', '삭제']) expect(text).toContain(label);
    expect(text).not.toMatch(/Done in|requested by|Re-roll|Details|Delete|text-to-video|seed 7/);
  });

  it('ja: /vidu-jobs lists the member’s jobs in Japanese', async () => {
    world = await startWorld();
    const job = world.vidu({ locale: 'ja', prompt: 'A paper crane' });
    await world.discord.injectInteraction(job);
    await finalMessage(world, job.token);
    await world.delivered(job.id);

    const raw = slashCommand({ name: 'vidu-jobs', locale: 'ja' });
    await world.discord.injectInteraction(raw);
    expect((await firstResponse(world, raw)).type).toBe(5);
    const message = await world.discord.waitFor(() => {
      const m = world!.discord.originalMessage(raw.token);
      return m && !m.loading ? m : undefined;
    });
    expect(message.content.split('\n')[0]).toBe('**最近のジョブ** · 1/1 ページ · 全 1 件');
    expect(message.content).toContain('**1.** ✅ 完了 · “A paper crane”');
    expect(message.content).toMatch(/\[メッセージ\]\(https:\/\/discord\.com\/channels\/[^)]+\) · ジョブ `/);
    expect(message.content).not.toMatch(/Your recent jobs|Done|\bjob `/);
  });

  it('en-GB and other locales without a catalog read English', async () => {
    world = await startWorld();
    const raw = world.vidu({ locale: 'en-GB' });
    await world.discord.injectInteraction(raw);
    const text = messageText(await world.finalMessage(raw.token));
    expect(text).toContain('✅ Done in');
    expect(text).toContain('requested by');
  });
});
