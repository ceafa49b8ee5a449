/**
 * The English catalog: the source of truth. Every other locale has exactly these keys and, per
 * key, exactly these `{placeholders}` (enforced by the types and by test/i18n/catalogs.test.ts).
 *
 * Conventions: `{name}` is replaced by `t()`; keys ending in `.one` / `.other` are a pair chosen
 * by a count (`tn()`); Discord markdown, `<t:…>` timestamps, mentions, option names (`/vidu`,
 * `image1`) and model ids stay as written in every locale. Prefixes such as `-# ` and `⚠️ ` are
 * added by the code, not the catalog.
 */
export const en = {
  // ── Lists and counted nouns ────────────────────────────────────────────────────────────────
  'list.separator': ', ',
  'list.or': '{items} or {last}',
  'list.more': '{items} and {count} more',
  'count.images.one': '{count} image',
  'count.images.other': '{count} images',
  'count.referenceImages.one': '{count} reference image',
  'count.referenceImages.other': '{count} reference images',
  'count.characters.one': '{count} character',
  'count.characters.other': '{count} characters',
  'time.minutesSeconds': '{m}m {s}s',
  'time.seconds': '{s}s',

  // ── Models and modes ───────────────────────────────────────────────────────────────────────
  'model.viduq3-pro': 'Best quality. Text, first frame, or first + last frame (0–2 images). 1–16 s.',
  'model.viduq3-turbo': 'Fastest and cheapest. Text, first frame, or first + last frame (0–2 images). 1–16 s.',
  'model.viduq3': 'From 1–7 reference images; name files after @subjects in the prompt. 3–16 s.',
  'mode.text-to-video': 'text-to-video',
  'mode.image-to-video': 'image-to-video',
  'mode.first-last-frame': 'first & last frame',
  'mode.reference-to-video': 'multi-reference',

  // ── The job card (src/render) ──────────────────────────────────────────────────────────────
  'card.ratioFromImage': 'ratio from image',
  'card.audioOn': 'audio on',
  'card.silent': 'silent',
  'card.subjects': 'subjects {names}',
  'card.seed': 'seed {seed}',
  'card.requestedBy': 'requested by {user}',
  'card.weighs': 'Weighs {weight} video-seconds',
  'card.leftMember': 'you have {member} left today',
  'card.leftServer': 'the server has {server} left today',
  'card.leftBoth': 'you have {member}, the server has {server} left today',
  'card.parent.reroll': 'Re-roll of {target}',
  'card.parent.edit': 'Edited from {target}',
  'card.parent.continue': 'Continues {target}',
  'card.parent.animate': 'Animated from {target}',
  'card.parent.job': 'job `{id}`',
  'progress.preparing.one': '⏳ Preparing {count} image… · started {started}',
  'progress.preparing.other': '⏳ Preparing {count} images… · started {started}',
  'progress.submitting': '⏳ Submitting… · started {started}',
  'progress.submittingToVidu': '⏳ Submitting to Vidu… · started {started}',
  'progress.queued': '🕒 Queued at Vidu · started {started}',
  'progress.generating': '🎬 Generating · {percent}% · started {started}',
  'progress.generatingNoPercent': '🎬 Generating… · started {started}',
  'progress.uploading': '📦 Finishing · uploading the video…',
  'progress.finishing': '⚠️ Finishing…',
  'progress.dmNotice': 'This is taking longer than Discord lets me edit this reply — I’ll send the result to you by DM.',
  'final.doneIn': '✅ Done in {took}',
  'final.linked': '✅ Done in {took}. {why}{expiry}',
  'final.tooLarge': 'The video is {size}, over the {limit} upload limit here, so it is linked instead of attached.',
  'final.uploadFailed': 'The video could not be uploaded to Discord, so it is linked instead.',
  'final.linkExpiry': ' The link works until {time}.',
  'final.task': 'Task `{taskId}`',
  'button.reroll': 'Re-roll',
  'button.tryAgain': 'Try again',
  'button.edit': 'Edit & re-run',
  'button.continue': 'Continue',
  'button.details': 'Details',
  'button.delete': 'Delete',
  'button.openVideo': 'Open video',

  // ── Failures (one title and one hint per FailureCode) ──────────────────────────────────────
  'failure.invalid_input.title': 'This request can’t be used',
  'failure.invalid_input.hint': 'Change what is described above and run `/vidu` again.',
  'failure.bad_request.title': 'Vidu rejected the request',
  'failure.bad_request.hint': 'Change the options named above and run `/vidu` again.',
  'failure.misconfigured.title': 'The bot is not set up correctly',
  'failure.misconfigured.hint': 'A server admin needs to check the bot’s toapis API key. You were not charged.',
  'failure.out_of_credits.title': 'The video service is out of credits',
  'failure.out_of_credits.hint': 'A server admin needs to top up the toapis account. You were not charged.',
  'failure.content_refused.title': 'Vidu refused this content',
  'failure.content_refused.hint': 'Rephrase the prompt or use other images, then try again.',
  'failure.upstream_unavailable.title': 'The video service is unavailable right now',
  'failure.upstream_unavailable.hint': 'It kept failing after several retries. Please try again in a few minutes.',
  'failure.generation_failed.title': 'Vidu could not generate this video',
  'failure.generation_failed.hint': 'Try again, or adjust the prompt or images.',
  'failure.timed_out.title': 'Timed out waiting for Vidu',
  'failure.timed_out.hint': 'The video did not finish in time. Try again later, or a shorter duration.',
  'failure.images_unavailable.title': 'Your images could not be read',
  'failure.images_unavailable.hint': 'Discord’s attachment link expired or failed. Attach the images again with a new `/vidu`.',
  'failure.video_unavailable.title': 'The finished video could not be fetched',
  'failure.video_unavailable.hint': 'Vidu finished the video but its file could not be downloaded. Try `/vidu` again.',
  'failure.upstreamSaid': 'Vidu said: “{said}”',

  // ── Request refusals (src/generation/errors.ts; each at most 300 characters) ───────────────
  'request.prompt_empty': 'The prompt is empty. Describe the video you want in the prompt option (up to {max} characters).',
  'request.prompt_too_long':
    'The prompt is {length} characters long, but the limit is {max}. Shorten it by {over} and try again.',
  'request.invalid_model':
    '{model} is not a model this bot offers. Pick viduq3-pro (highest quality), viduq3-turbo (faster, cheapest) or viduq3 (reference images and @subjects).',
  'request.images_required': '{model} needs at least {images}. Attach {min}–{max} images (image1…image{max}).',
  'request.images_required.alt':
    '{model} needs at least {images}. Attach {min}–{max} images (image1…image{max}), or pick {models} for text-to-video.',
  'request.too_many_images': '{model} takes at most {maxImages}, but {count} were attached. Remove {removeImages}.',
  'request.too_many_images.alt':
    '{model} takes at most {maxImages}, but {count} were attached. Remove {removeImages}, or pick {models} for up to {roomMax} reference images.',
  'request.duration_out_of_range':
    '{model} makes videos of {min}–{max} seconds, and {duration} is outside that range. Pick a duration from {min} to {max}.',
  'request.duration_out_of_range.alt':
    '{model} makes videos of {min}–{max} seconds, and {duration} is outside that range. Pick a duration from {min} to {max} ({models} can make {duration} s).',
  'request.invalid_resolution': '{value} is not a supported resolution. Pick {options}.',
  'request.invalid_aspect_ratio':
    '{value} is not an aspect ratio. Write it as width:height with whole numbers, for example {examples}.',
  'request.invalid_seed':
    'The seed must be a whole number from {min} to {max}, and {value} is not. Pick one in that range, or leave seed empty to get a random one.',
  'request.unknown_subject':
    'No attached image matches {names}. Name image files after the subject (like {example1}, {example2}) or fix the @name. {attached}',
  'request.unknown_subject.attached': 'Attached: {files}.',
  'request.unknown_subject.none': 'No images are attached.',
  'request.subject_too_many_images':
    '{subject} has {count} images, but one subject takes at most {max}. Keep 1–{max} images named after {name} and rename or remove the rest.',
  'request.image_too_large':
    '{filename} is {size} MB, but images can be at most {max} MB. Compress or resize it and attach it again.',
  'request.not_an_image':
    '{filename} is not a JPEG, PNG, WebP or GIF image. Attach the picture in one of those formats (at most {max} MB).',

  // ── Limits and server rules ────────────────────────────────────────────────────────────────
  'limit.inFlight.one': 'You already have {count} video in progress. Wait for one to finish, then try again.',
  'limit.inFlight.other': 'You already have {count} videos in progress. Wait for one to finish, then try again.',
  'limit.perMinute.one': 'You can start {count} video per minute. Try again {when}.',
  'limit.perMinute.other': 'You can start {count} videos per minute. Try again {when}.',
  'rules.paused': 'Video generation is paused on this server by its admins. Try again later.',
  'rules.channel': '/vidu can’t be used in this channel. Use it in {channels}.',
  'rules.role': '/vidu is limited to members with {roles} on this server.',
  'rules.model': '{model} isn’t enabled on this server. Pick {models}.',
  'rules.resolution': 'This server allows up to {max}. Pick {max} or lower.',
  'rules.duration': 'This server allows videos up to {max} s. Pick a duration of {max} s or less.',
  'rules.cooldown': 'This server has a {seconds} s cooldown between videos. Try again {when}.',
  'budget.member':
    'This video weighs {weight} video-seconds, but you have only {left} of {limit} left today. Try a shorter or cheaper video (viduq3-turbo weighs half of viduq3-pro), or wait until {resetsAt}.',
  'budget.server':
    'This video weighs {weight} video-seconds, but this server has only {left} of {limit} left today. Try a shorter or cheaper video (viduq3-turbo weighs half of viduq3-pro), or wait until {resetsAt}.',

  // ── Starting a job (commands/start-job.ts) ─────────────────────────────────────────────────
  'job.restarting': 'The bot is restarting. Try again in a minute.',
  'job.storageDown': 'The bot’s storage is unavailable right now, so nothing was started. Please try again shortly.',
  'job.missingPermissions.one':
    'I can’t deliver videos in this channel: I’m missing {permissions}. Ask a server admin to grant it to vidu-bot here, or use /vidu in another channel. Nothing was started.',
  'job.missingPermissions.other':
    'I can’t deliver videos in this channel: I’m missing {permissions}. Ask a server admin to grant them to vidu-bot here, or use /vidu in another channel. Nothing was started.',
  'permission.viewChannel': 'View Channel',
  'permission.sendMessages': 'Send Messages',
  'permission.attachFiles': 'Attach Files',
  'permission.readMessageHistory': 'Read Message History',

  // ── Result buttons (commands/job-actions.ts) ───────────────────────────────────────────────
  'actions.expired': 'This job is no longer stored (results are kept for 30 days), so this button has expired. Start a new one with `/vidu`.',
  'actions.continueNotVideo': 'Only a finished video can be continued.',
  'actions.continueExpired':
    'This video has expired at Vidu (videos are kept 24 h), so its last frame is gone. Attach a frame to `/vidu` instead.',
  'actions.deleteNotAllowed': 'Only {owner} or a member with Manage Messages can delete this video.',
  'details.prompt': 'Prompt',
  'details.settings': 'Settings',
  'details.model': 'Model',
  'details.mode': 'Mode',
  'details.duration': 'Duration',
  'details.resolution': 'Resolution',
  'details.aspectRatio': 'Aspect ratio',
  'details.audio': 'Audio',
  'details.seed': 'Seed',
  'details.references': 'References',
  'details.subjects': 'subjects: {names}',
  'details.task': 'Task',
  'details.job': 'Job',
  'details.requested': 'Requested',
  'details.finished': 'Finished',
  'details.reproduce': 'Reproduce',
  'details.ratioFromImage': 'from the image',
  'details.ratioDefault': 'default',
  'details.on': 'on',
  'details.off': 'off',

  // ── Forms (Edit & re-run, Animate with Vidu) ───────────────────────────────────────────────
  'form.editTitle': 'Edit & re-run',
  'form.prompt': 'Prompt',
  'form.promptHint': 'What happens in the video',
  'form.model': 'Model',
  'form.modelHint': 'pro/turbo: first image (2 images: first & last frame); viduq3: all',
  'form.duration': 'Duration (seconds)',
  'form.resolution': 'Resolution',
  'animate.title.one': 'Animate this image with Vidu',
  'animate.title.other': 'Animate {count} images with Vidu',
  'animate.noImages': 'That message has no images to animate. Right-click a message with a JPEG, PNG, WebP or GIF image.',
  'animate.expired': 'This form has expired. Right-click the message and choose **{command}** again.',
  /** The message command's name as Discord shows it in the Apps menu (commands/localizations.ts). */
  'animate.commandName': 'Animate with Vidu',

  // ── Router ─────────────────────────────────────────────────────────────────────────────────
  'error.generic': 'Something went wrong on the bot’s side. Nothing was charged; please try again.',

  // ── /vidu-admin (commands/vidu-admin.ts) ───────────────────────────────────────────────────
  'admin.onlyManagers': 'Only members with Manage Server can change vidu-bot’s settings.',
  'admin.show.generation': '**Generation** {state} · **Replies** {replies}',
  'admin.show.channels': '**Channels** {channels}',
  'admin.show.roles': '**Roles** {roles}',
  'admin.show.defaults': '**Defaults** model {model} · resolution {resolution} · duration {duration} s',
  'admin.show.caps': '**Caps** models {models} · max resolution {resolution} · max duration {duration}',
  'admin.show.limits': '**Daily limits** per member {member} · server {server}{used} · cooldown {cooldown}',
  'admin.show.usedToday': ' (used today: {total})',
  'admin.show.alerts': '**Alerts** {alerts}',
  'admin.show.weights': 'Weights: {weights} per video-second',
  'admin.state.paused': '⏸️ paused',
  'admin.state.running': '▶️ running',
  'admin.replies.public': 'public',
  'admin.replies.private': 'private',
  'admin.everywhere': 'everywhere',
  'admin.everyone': 'everyone',
  'admin.all': 'all',
  'admin.none': 'none',
  'admin.ownerDm': 'DM to the server owner',
  'admin.paused': 'Generation paused. Running jobs finish; new ones are refused.',
  'admin.resumed': 'Generation resumed.',
  'admin.balanceUnlimited': '💳 The toapis key has an unlimited quota.',
  'admin.balance': '💳 toapis balance: **{remain}** left ({used} used).',
  'admin.balanceFailed': 'Could not read the balance from toapis right now. Check the API key if this persists.',
  'admin.channelAllowed': '/vidu is allowed in {channel}.',
  'admin.channelRemoved': '{channel} removed.',
  'admin.channelsCleared': '/vidu is allowed in every channel.',
  'admin.roleAllowed': '{role} may use /vidu.',
  'admin.roleRemoved': '{role} removed.',
  'admin.rolesCleared': 'Everyone may use /vidu.',
  'admin.defaultsSaved': 'Defaults saved.',
  'admin.unknownModel': 'Unknown model {models}. Use {known}. Nothing was changed.',
  'admin.capsSaved': 'Caps saved.',
  'admin.limitsSaved': 'Limits saved. They count from today’s usage; failed jobs are not counted.',
  'admin.repliesPrivate': 'Replies are private (results arrive by DM when a job outlives 15 minutes).',
  'admin.repliesPublic': 'Replies are public.',
  'admin.alertsChannel': 'Admin alerts go to {channel}.',
  'admin.alertsOwner': 'Admin alerts go to the server owner by DM.',

  // ── /vidu-subjects (commands/vidu-subjects.ts, src/subjects/library.ts) ────────────────────
  'subjects.storageDown': 'The bot’s storage is unavailable right now, so nothing was saved. Please try again shortly.',
  'subjects.notSavedBecause': '{reason} Nothing was saved.',
  'subjects.full':
    'You already have {max} saved subjects, the most one member can keep ({names}). Delete one with `/vidu-subjects remove name:`, then save again.',
  'subjects.notSaved': 'You have no saved subject `@{name}`. {more}',
  'subjects.yours': 'Yours: {names}.',
  'subjects.saveOne': 'Save one with `/vidu-subjects add`.',
  'subjects.tooLargeToStore':
    '`{filename}` is {size}, but saved subject images can be at most {max} each. Compress or resize it and try again; nothing was saved.',
  'subjects.imageCount': 'A subject takes 1–{max} images, and {count} were uploaded. Nothing was saved.',
  'subjects.saved':
    '✅ Saved **@{name}** ({images}) — {count} of {max} subjects saved. Write `@{name}` in a `/vidu model:viduq3` prompt to use it without attaching anything.',
  'subjects.replaced':
    '✅ Replaced **@{name}** ({images}) — {count} of {max} subjects saved. Write `@{name}` in a `/vidu model:viduq3` prompt to use it without attaching anything.',
  'subjects.removed': '🗑️ Removed **@{name}** — {count} of {max} subjects saved.',
  'subjects.listEmpty': 'You have no saved subjects yet. Save one with `/vidu-subjects add name:` (up to {max}).',
  'subjects.listHeader': '**Your saved subjects** ({count} of {max})',
  'subjects.listLine': '• `@{name}` — {images}, saved {when}',
  'subjects.listFooter': 'Write @name in a `/vidu model:viduq3` prompt to use one. Remove with `/vidu-subjects remove`.',
  'subjects.showHeader': '**@{name}** — {images}, saved {when}',
  'subjects.form.title': 'Save subject @{name}',
  'subjects.form.titleShort': 'Save @{name}',
  'subjects.form.images': 'Images of @{name}',
  'subjects.form.hint': '1–{max} JPEG, PNG, WebP or GIF images, at most {size} each',
  'subjects.form.hintReplace': '1–{max} JPEG, PNG, WebP or GIF images, at most {size} each (replaces the saved ones)',
  'subjects.downloadFailed': '`{filename}` could not be downloaded from Discord. Upload it again; nothing was saved.',
  'subjects.name.empty': 'The name is empty.',
  'subjects.name.tooLong': 'The name is {length} characters long; subject names take at most {max}.',
  'subjects.name.invalid': 'Subject names may only use letters, digits, `_` and `-` (no spaces), as in `@my_cat`.',
  'subjects.unknown.saved': '{base} Your saved subjects: {names}.',
  'subjects.unknown.none': '{base} You have no saved subjects (save one with `/vidu-subjects add`).',
  'subjects.imageMissing': 'The saved subject @{name} was removed or changed before the job started. Save it again or attach its images.',

  // ── /vidu-jobs and /vidu-show (commands/vidu-jobs.ts, commands/vidu-show.ts) ─────────────
  'jobs.status.deleted': '🗑️ Deleted',
  'jobs.status.failed': '❌ Failed — {title}',
  'jobs.status.preparing': '⏳ Preparing',
  'jobs.status.submitting': '⏳ Submitting',
  'jobs.status.queued': '🕒 Queued',
  'jobs.status.generating': '🎬 Generating',
  'jobs.status.generatingPercent': '🎬 Generating · {percent}%',
  'jobs.status.finishing': '📦 Finishing',
  'jobs.status.done': '✅ Done',
  'jobs.status.notPosted': '✅ Done (could not be posted — use `/vidu-show`)',
  'jobs.none': 'You have no jobs yet. Start one with `/vidu`.',
  'jobs.header': '**Your recent jobs** · page {page} of {pages} · {total} in all',
  'jobs.gone': 'job `{id}` — no longer stored (jobs are kept 30 days)',
  'jobs.messageLink': '[message]({url})',
  'jobs.prev': '◀ Prev',
  'jobs.next': 'Next ▶',
  'show.notYours': 'You have no job `{id}`: no such job of yours. Pick one from the suggestions, or see `/vidu-jobs`.',
  'show.notFinished': 'That job is not finished yet ({status}). Its result will appear in {url} when it is done.',
  'show.notFinishedOwn': 'That job is not finished yet ({status}). Its result will appear in its own message when it is done.',
  'show.failed': 'That job failed: {title}. There is no video to show; try `/vidu` again.',
  'show.failedDetail': 'That job failed: {title}. {detail} There is no video to show; try `/vidu` again.',
  'show.deleted': 'That video was deleted with its Delete button, so it is not posted again.',
  'show.gone': 'Vidu no longer has the file of that video, so it can no longer be posted. Run it again with `/vidu`.',
  'show.expired':
    'That video expired at Vidu {when} (finished videos are kept 24 h), so it can no longer be posted. Run it again with `/vidu`.',

  // ── Admin alerts (src/settings/alerts.ts; in the server's preferred locale) ───────────────
  'alert.outOfCredits':
    '⚠️ **vidu-bot: the toapis account is out of credits.** Members’ `/vidu` jobs are refused until it is topped up. Check it with `/vidu-admin balance`. (You are told once a day at most.)',

  // ---- fetch & show safety (issue 9, trust-b) ----
  'fetch.refused': 'The bot did not fetch the file Vidu returned: {reason}.',
  'fetch.reason.scheme': 'its link is not https',
  'fetch.reason.private': 'its link points into a private network',
  'fetch.reason.redirects': 'its link redirects too many times',
  'fetch.reason.notVideo': 'it is not an MP4 video',
  // ---- failure reasons as codes (issue 13, src/render/render.ts failureDetail) ----
  'failure.reason.last_frame_failed': 'The last frame of the video could not be extracted.',
  'failure.reason.task_unknown': 'Vidu no longer knows task {taskId}.',
  'failure.reason.video_download_failed': 'The file of task {taskId} could not be downloaded.',
} as const;
