import { describe, expect, it } from 'vitest';
import type { RawVideoOptions } from '../../src/generation/request.js';
import { describeSettings, progressLine, renderDmNotice, renderFinal, renderProgress, type MessagePayload } from '../../src/render/render.js';
import { describeSettingsRefusal } from '../../src/settings/settings.js';
import { describeReservationRefusal } from '../../src/settings/usage.js';
import { describeLimit } from '../../src/tasks/limits.js';
import type { TaskRecord } from '../../src/tasks/record.js';
import { record as baseRecord } from '../tasks/records.js';

const CREATED = 1_700_000_000_000;
const STARTED = '<t:1700000000:R>';
const VIDEO_URL = 'https://files.toapis.com/videos/task_abc/output.mp4';

function rec(locale: string, raw: Partial<RawVideoOptions> = {}, patch: Partial<TaskRecord> = {}): TaskRecord {
  return baseRecord({ raw, now: CREATED, interaction: { locale } }, patch);
}

/** Every text and button label in the payload. */
function allText(payload: MessagePayload): string {
  const out: string[] = [];
  const walk = (n: Record<string, unknown>) => {
    if (typeof n.content === 'string') out.push(n.content);
    if (typeof n.label === 'string') out.push(n.label);
    for (const c of (n.components as Record<string, unknown>[] | undefined) ?? []) walk(c);
  };
  for (const c of payload.components as unknown as Record<string, unknown>[]) walk(c);
  return out.join('\n');
}

/** English words of the card that must not leak into a translated one. */
const ENGLISH = /started|Generating|Queued|Preparing|requested by|Done in|Re-roll|Try again|Details|Delete|Task `|audio on|silent|text-to-video|video-seconds/;

describe('a job card in Japanese', () => {
  const running = rec(
    'ja',
    {},
    { state: 'running', upstream: { taskId: 'task_abc', status: 'in_progress', phase: 'running', progress: 40, submittedAt: CREATED } },
  );

  it('progress: the status line, settings and requester are Japanese; markup and ids stay', () => {
    expect(progressLine(running)).toBe(`🎬 生成中 · 40% · 開始 ${STARTED}`);
    const text = allText(renderProgress(running));
    expect(text).toContain('viduq3-turbo · テキストから動画 · 5 s · 720p · 音声あり · シード 42');
    expect(text).toContain('リクエスト: <@222222222222222222>');
    expect(text).not.toMatch(ENGLISH);
  });

  it('every progress state has a Japanese line', () => {
    const lines = [
      progressLine(rec('ja')),
      progressLine(rec('ja', { images: [{ id: '1', filename: 'a.png', size: 10, contentType: 'image/png', url: 'https://cdn.discordapp.com/a.png' }] })),
      progressLine(rec('ja', {}, { state: 'submitting' })),
      progressLine(rec('ja', {}, { state: 'running' })),
      progressLine(rec('ja', {}, { state: 'delivering', outcome: { kind: 'video', url: VIDEO_URL, completedAt: CREATED } })),
    ];
    expect(lines).toEqual([
      `⏳ 送信中… · 開始 ${STARTED}`,
      `⏳ 1 枚の画像を準備中… · 開始 ${STARTED}`,
      `⏳ Vidu に送信中… · 開始 ${STARTED}`,
      `🕒 Vidu で順番待ち · 開始 ${STARTED}`,
      '📦 仕上げ中 · 動画をアップロードしています…',
    ]);
  });

  it('the DM notice is Japanese', () => {
    expect(allText(renderDmNotice(running))).toContain('-# Discord でこの返信を編集できる時間を過ぎそうです。結果は DM でお送りします。');
  });

  it('a failure: Japanese title, hint and buttons; the task id stays', () => {
    const failed = rec(
      'ja',
      {},
      {
        state: 'done',
        updatedAt: CREATED + 65_000,
        upstream: { taskId: 'task_xyz', status: 'failed', phase: 'failed', progress: 0, submittedAt: CREATED },
        outcome: { kind: 'failed', code: 'timed_out' },
      },
    );
    const text = allText(renderFinal(failed));
    expect(text).toContain('❌ **Vidu の応答がタイムアウトしました**');
    expect(text).toContain('-# 動画が時間内に完成しませんでした。');
    expect(text).toContain('-# タスク `task_xyz`');
    expect(text).toContain('もう一度');
    expect(text).toContain('編集して再実行');
    expect(text).not.toMatch(ENGLISH);
  });

  it('a linked video: Japanese reason, expiry and button; the URL stays', () => {
    const done = rec('ja', {}, { state: 'done', outcome: { kind: 'video', url: VIDEO_URL, completedAt: CREATED + 100_000, expiresAt: 1_700_086_400_000 } });
    const text = allText(renderFinal(done, { linkReason: { kind: 'too_large', sizeBytes: 31_457_280, limitBytes: 10_485_760 } }));
    expect(text).toContain(
      `✅ 完了（1分40秒）。動画は 30.0 MB で、ここでのアップロード上限 10.0 MB を超えるため、添付ではなくリンクでお送りします。リンクの有効期限は <t:1700086400:f> までです。\n<${VIDEO_URL}>`,
    );
    expect(text).toContain('動画を開く');
    expect(text).not.toMatch(ENGLISH);
  });
});

describe('cards in the other locales', () => {
  const done = (locale: string) => rec(locale, {}, { state: 'done', outcome: { kind: 'video', url: VIDEO_URL, completedAt: CREATED + 42_000 } });
  it.each([
    ['zh-CN', '-# ✅ 已完成，用时 42 秒', '由 <@222222222222222222> 发起', '重新生成'],
    ['ko', '-# ✅ 42초 만에 완료', '요청자 <@222222222222222222>', '다시 생성'],
    ['es-ES', '-# ✅ Listo en 42 s', 'pedido por <@222222222222222222>', 'Otra versión'],
    ['es-419', '-# ✅ Listo en 42 s', 'pedido por <@222222222222222222>', 'Otra versión'],
    ['en-GB', '-# ✅ Done in 42s', 'requested by <@222222222222222222>', 'Re-roll'],
  ])('%s', (locale, doneLine, requester, reroll) => {
    const text = allText(renderFinal(done(locale), { fileName: 'v.mp4' }));
    expect(text).toContain(doneLine);
    expect(text).toContain(requester);
    expect(text).toContain(reroll);
  });

  it('describeSettings defaults to English and takes a locale', () => {
    const r = rec('ko', {
      images: [
        { id: '1', filename: 'a.png', size: 10, contentType: 'image/png', url: 'https://cdn.discordapp.com/a.png' },
        { id: '2', filename: 'b.png', size: 10, contentType: 'image/png', url: 'https://cdn.discordapp.com/b.png' },
      ],
    });
    expect(describeSettings(r.request)).toBe('viduq3-turbo · first & last frame · 5 s · 720p · audio on · 2 images · seed 42');
    expect(describeSettings(r.request, 'es-ES')).toBe('viduq3-turbo · primer y último fotograma · 5 s · 720p · con audio · 2 imágenes · semilla 42');
  });
});

describe('refusals from limits and server rules, per locale', () => {
  it('describeLimit', () => {
    expect(describeLimit({ ok: false, reason: 'in_flight', max: 3 }, 'zh-CN')).toBe('你已有 3 个视频正在生成。请等其中一个完成后再试。');
    expect(describeLimit({ ok: false, reason: 'per_minute', max: 1, retryAtMs: 60_000 }, 'es-ES')).toBe(
      'Puedes empezar 1 vídeo por minuto. Vuelve a intentarlo <t:60:R>.',
    );
    expect(describeLimit({ ok: false, reason: 'per_minute', max: 5, retryAtMs: 60_000 }, 'ja')).toContain('<t:60:R>');
  });

  it('describeSettingsRefusal keeps mentions and model ids', () => {
    expect(describeSettingsRefusal({ code: 'channel', allowed: ['1', '2'] }, 'ja')).toBe(
      'このチャンネルでは /vidu を使えません。<#1>、<#2> で使ってください。',
    );
    expect(describeSettingsRefusal({ code: 'model', model: 'viduq3-pro', allowed: ['viduq3-turbo', 'viduq3'] }, 'ko')).toBe(
      '이 서버에서는 viduq3-pro이(가) 켜져 있지 않아요. viduq3-turbo 또는 viduq3을(를) 고르세요.',
    );
    expect(describeSettingsRefusal({ code: 'paused' })).toBe('Video generation is paused on this server by its admins. Try again later.');
  });

  it('describeReservationRefusal', () => {
    const r = { ok: false, scope: 'server', weight: 10, used: 5, limit: 8, resetsAt: 86_400_000 } as const;
    expect(describeReservationRefusal(r, 'zh-CN')).toContain('本服务器今天的额度 8 中已用 5，只剩 3');
    // The same relative reset timestamp as the operator's caps, in every locale.
    for (const locale of ['en-US', 'zh-CN', 'ja', 'ko', 'es-ES']) {
      expect(describeReservationRefusal(r, locale)).toContain('<t:86400:R>');
      expect(describeReservationRefusal({ ...r, scope: 'member' }, locale)).toContain('<t:86400:R>');
    }
    expect(describeReservationRefusal(r)).toContain('this server has only 3 left of its 8 today (5 used). It resets <t:86400:R>.');
  });
});
