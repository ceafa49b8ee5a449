/**
 * The baseline of the polling comparison: what most generation bots do. Submit, then read the
 * status every 10 s (scaled) until it is finished, download the video and post it to the channel
 * with the bot token. No store, no progress, no rate cap — only the loop that decides when to look.
 */
import { sleep } from './lib.js';

export interface FixedJob {
  /** When to submit, ms after `startAt`. */
  offsetMs: number;
  /** Submit body (`client_business_id` included). */
  body: Record<string, unknown>;
}

export interface FixedPollerOptions {
  toapisUrl: string;
  apiKey: string;
  /** Discord REST base, e.g. `http://127.0.0.1:1234/api`. */
  discordApiUrl: string;
  botToken: string;
  channelId: string;
  intervalMs: number;
  jobs: FixedJob[];
}

export interface FixedResult {
  businessId: string;
  taskId: string;
  polls: number;
  /** Bench clock when Discord accepted the message. */
  postedAt: number;
}

async function runOne(o: FixedPollerOptions, job: FixedJob): Promise<FixedResult> {
  const auth = { authorization: `Bearer ${o.apiKey}` };
  const submitted = (await (
    await fetch(`${o.toapisUrl}/v1/videos/generations`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(job.body),
    })
  ).json()) as { id: string };
  let polls = 0;
  let task: { status: string; result?: { data: { url: string }[] } };
  for (;;) {
    await sleep(o.intervalMs);
    polls++;
    task = (await (await fetch(`${o.toapisUrl}/v1/videos/generations/${submitted.id}`, { headers: auth })).json()) as typeof task;
    if (task.status === 'completed' || task.status === 'failed') break;
  }
  const video = Buffer.from(await (await fetch(task.result!.data[0]!.url)).arrayBuffer());
  const form = new FormData();
  const businessId = String(job.body.client_business_id);
  form.set('payload_json', JSON.stringify({ content: businessId, attachments: [{ id: 0, filename: `${businessId}.mp4` }] }));
  form.set('files[0]', new Blob([video], { type: 'video/mp4' }), `${businessId}.mp4`);
  const res = await fetch(`${o.discordApiUrl}/v10/channels/${o.channelId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bot ${o.botToken}` },
    body: form,
  });
  if (!res.ok) throw new Error(`fixed poller: Discord answered ${res.status}`);
  return { businessId, taskId: submitted.id, polls, postedAt: Date.now() };
}

/** Runs every job on its schedule; resolves when all are posted. */
export async function runFixedPoller(o: FixedPollerOptions): Promise<FixedResult[]> {
  const start = Date.now();
  return Promise.all(
    o.jobs.map(async (job) => {
      await sleep(Math.max(0, start + job.offsetMs - Date.now()));
      return runOne(o, job);
    }),
  );
}
