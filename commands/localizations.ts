import type { LocalizationMap, RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import { MODEL_IDS } from '../src/generation/models.js';
import { t, type Locale } from '../src/i18n/index.js';
import { MAX_LIBRARY_SUBJECT_IMAGES } from '../src/subjects/library.js';

/**
 * Localized names and descriptions of our commands, applied to their JSON before registration.
 *
 * Slash command and option *names* stay English in every locale: `/vidu prompt:` is what the
 * README, the Details view's reproduce line and other members' messages show, and it stays
 * typeable on every keyboard. Descriptions and choice names are translated, so the command
 * picker explains each option in the member's language. The message command is only ever
 * clicked in the Apps menu, so its name is translated too.
 */

type Translated = Readonly<Record<Exclude<Locale, 'en-US'>, string>>;

interface Entry {
  /** Only for message commands: slash command and option names stay English (see above). */
  name?: Translated;
  description?: Translated;
  /** Choice names, by choice value. */
  choices?: Readonly<Record<string, Translated>>;
}

/** Per command name, per option path (`''` = the command itself, `'channels allow channel'`). */
type Table = Readonly<Record<string, Readonly<Record<string, Entry>>>>;

const TRANSLATED = ['zh-CN', 'ja', 'ko', 'es-ES'] as const satisfies readonly Exclude<Locale, 'en-US'>[];

/** Discord's limit on a choice name, in characters. */
const CHOICE_NAME_CHARS = 100;

const cut = (text: string, max: number) => [...text].slice(0, max).join('');

/** The same text from the catalogs in each translated locale. */
function fromCatalog(text: (locale: Locale) => string): Translated {
  return Object.fromEntries(TRANSLATED.map((locale) => [locale, text(locale)])) as Translated;
}

const IMAGE_REFERENCE: Translated = {
  'zh-CN': '另一张参考图（viduq3，最多 7 张）',
  ja: '追加の参照画像（viduq3、最大 7 枚）',
  ko: '추가 참조 이미지(viduq3, 최대 7장)',
  'es-ES': 'Otra imagen de referencia (viduq3, hasta 7)',
};
const CHANNEL: Translated = { 'zh-CN': '频道', ja: 'チャンネル', ko: '채널', 'es-ES': 'Canal' };
const ROLE: Translated = { 'zh-CN': '身份组', ja: 'ロール', ko: '역할', 'es-ES': 'Rol' };
const WHICH_SUBJECT: Translated = { 'zh-CN': '哪个主体', ja: 'どの主体か', ko: '어느 주체인지', 'es-ES': 'Qué sujeto' };

/** The /vidu model choice reads `id — what it is for`, like the English one. */
const MODEL_CHOICES = Object.fromEntries(MODEL_IDS.map((id) => [id, fromCatalog((locale) => cut(`${id} — ${t(locale, `model.${id}`)}`, CHOICE_NAME_CHARS))]));

export const COMMAND_LOCALIZATIONS: Table = {
  vidu: {
    '': {
      description: {
        'zh-CN': '用 Vidu Q3 根据提示词和可选的参考图生成视频',
        ja: 'プロンプトと任意の参照画像から Vidu Q3 で動画を作成',
        ko: '프롬프트와 선택적 참조 이미지로 Vidu Q3 영상 만들기',
        'es-ES': 'Crea un vídeo con Vidu Q3 a partir de un prompt e imágenes de referencia opcionales',
      },
    },
    prompt: {
      description: {
        'zh-CN': '视频里发生什么。用 @名称 指定主体（viduq3）',
        ja: '動画の中で起きること。主体は @名前 で指定（viduq3）',
        ko: '영상에서 일어나는 일. 주체는 @이름으로 지정(viduq3)',
        'es-ES': 'Qué pasa en el vídeo. Nombra los sujetos como @nombre (viduq3)',
      },
    },
    model: {
      description: {
        'zh-CN': '使用哪个 Vidu Q3 模型（默认 turbo；3 张以上图片时为 viduq3）',
        ja: '使う Vidu Q3 モデル（既定: turbo、画像 3 枚以上なら viduq3）',
        ko: '사용할 Vidu Q3 모델(기본: turbo, 이미지 3장 이상이면 viduq3)',
        'es-ES': 'Modelo de Vidu Q3 (por defecto turbo; viduq3 con 3 o más imágenes)',
      },
      choices: MODEL_CHOICES,
    },
    duration: {
      description: {
        'zh-CN': '时长（秒）：1–16（viduq3：3–16）。默认 5',
        ja: '長さ（秒）: 1〜16（viduq3: 3〜16）。既定は 5',
        ko: '길이(초): 1–16(viduq3: 3–16). 기본 5',
        'es-ES': 'Duración en segundos: 1–16 (viduq3: 3–16). Por defecto 5',
      },
    },
    resolution: {
      description: {
        'zh-CN': '输出分辨率（默认 720p）',
        ja: '出力解像度（既定は 720p）',
        ko: '출력 해상도(기본 720p)',
        'es-ES': 'Resolución de salida (por defecto 720p)',
      },
    },
    aspect_ratio: {
      description: {
        'zh-CN': '宽:高，如 16:9——pro/turbo 仅用于文生视频',
        ja: '幅:高さ（例 16:9）— pro/turbo ではテキストからの動画のみ',
        ko: '너비:높이(예: 16:9) — pro/turbo는 텍스트→영상에서만',
        'es-ES': 'An:Al como 16:9 — en pro/turbo solo para texto a vídeo',
      },
    },
    audio: {
      description: {
        'zh-CN': '生成语音和音效（默认开启）',
        ja: '音声と効果音を生成（既定はオン）',
        ko: '음성과 효과음 생성(기본 켬)',
        'es-ES': 'Genera voz y efectos de sonido (activado por defecto)',
      },
    },
    seed: {
      description: {
        'zh-CN': '用于复现结果的种子（默认随机）',
        ja: '結果を再現するためのシード（既定はランダム）',
        ko: '결과 재현용 시드(기본 무작위)',
        'es-ES': 'Semilla para resultados reproducibles (aleatoria por defecto)',
      },
    },
    // ---- webhooks & budgets (issue 10): the seed's remaining parameters ----
    audio_type: {
      description: {
        'zh-CN': '生成哪种声音（需开启音频；仅为请求，不保证）',
        ja: '作る音の種類（音声オンが必要。リクエストであり保証ではありません）',
        ko: '만들 소리 종류(오디오 켜짐 필요, 요청일 뿐 보장되지 않음)',
        'es-ES': 'Qué sonido crear (necesita audio; se solicita, no se garantiza)',
      },
      choices: {
        all: { 'zh-CN': 'all — 语音和音效', ja: 'all — 音声と効果音', ko: 'all — 음성과 효과음', 'es-ES': 'all — voz y efectos de sonido' },
        speech_only: { 'zh-CN': 'speech_only — 仅语音', ja: 'speech_only — 音声のみ', ko: 'speech_only — 음성만', 'es-ES': 'speech_only — solo voz' },
        'sound-effect_only': {
          'zh-CN': 'sound-effect_only — 仅音效',
          ja: 'sound-effect_only — 効果音のみ',
          ko: 'sound-effect_only — 효과음만',
          'es-ES': 'sound-effect_only — solo efectos',
        },
      },
    },
    off_peak: {
      description: {
        'zh-CN': '更便宜，48 小时内生成（需开启音频）',
        ja: '安価、48 時間以内に作成（音声オンが必要）',
        ko: '더 저렴하고 48시간 안에 만들어요(오디오 켜짐 필요)',
        'es-ES': 'Más barato, hecho en 48 horas como mucho (necesita audio)',
      },
    },
    image1: {
      description: {
        'zh-CN': '首帧（1 张图），或参考图（viduq3）',
        ja: '最初のフレーム（画像 1 枚）、または参照画像（viduq3）',
        ko: '첫 프레임(이미지 1장) 또는 참조 이미지(viduq3)',
        'es-ES': 'Primer fotograma (1 imagen) o una referencia (viduq3)',
      },
    },
    image2: {
      description: {
        'zh-CN': '尾帧（2 张图），或参考图（viduq3）',
        ja: '最後のフレーム（画像 2 枚）、または参照画像（viduq3）',
        ko: '마지막 프레임(이미지 2장) 또는 참조 이미지(viduq3)',
        'es-ES': 'Último fotograma (2 imágenes) o una referencia (viduq3)',
      },
    },
    image3: { description: IMAGE_REFERENCE },
    image4: { description: IMAGE_REFERENCE },
    image5: { description: IMAGE_REFERENCE },
    image6: { description: IMAGE_REFERENCE },
    image7: { description: IMAGE_REFERENCE },
  },

  'vidu-admin': {
    '': {
      description: {
        'zh-CN': 'vidu-bot 的服务器设置：谁可以生成、能生成多少、花费多少',
        ja: 'vidu-bot のサーバー設定: 誰がどれだけ生成できるか、費用はいくらか',
        ko: 'vidu-bot 서버 설정: 누가, 얼마나 생성할 수 있고 비용은 얼마인지',
        'es-ES': 'Controles de vidu-bot en el servidor: quién puede generar, cuánto y cuánto cuesta',
      },
    },
    show: {
      description: {
        'zh-CN': '显示本服务器的设置和今日用量',
        ja: 'このサーバーの設定と今日の使用量を表示',
        ko: '이 서버의 설정과 오늘 사용량 보기',
        'es-ES': 'Muestra los ajustes del servidor y el uso de hoy',
      },
    },
    pause: {
      description: {
        'zh-CN': '暂停本服务器的视频生成',
        ja: 'このサーバーで動画生成を一時停止',
        ko: '이 서버에서 영상 생성 일시 중지',
        'es-ES': 'Pausa la generación de vídeo en este servidor',
      },
    },
    resume: {
      description: {
        'zh-CN': '恢复本服务器的视频生成',
        ja: 'このサーバーで動画生成を再開',
        ko: '이 서버에서 영상 생성 다시 시작',
        'es-ES': 'Reanuda la generación de vídeo en este servidor',
      },
    },
    balance: {
      description: {
        'zh-CN': '显示 toapis 账户余额',
        ja: 'toapis アカウントの残高を表示',
        ko: 'toapis 계정 잔액 보기',
        'es-ES': 'Muestra el saldo de la cuenta de toapis',
      },
    },
    channels: {
      description: {
        'zh-CN': '可以使用 /vidu 的频道（不设置 = 所有频道）',
        ja: '/vidu を使えるチャンネル（未設定 = すべて）',
        ko: '/vidu를 쓸 수 있는 채널(없음 = 모든 채널)',
        'es-ES': 'Canales donde se puede usar /vidu (ninguno = todos)',
      },
    },
    'channels allow': {
      description: {
        'zh-CN': '允许在某个频道使用 /vidu',
        ja: 'チャンネルで /vidu を許可',
        ko: '채널에서 /vidu 허용',
        'es-ES': 'Permite /vidu en un canal',
      },
    },
    'channels allow channel': { description: CHANNEL },
    'channels remove': {
      description: {
        'zh-CN': '从列表中移除频道',
        ja: 'リストからチャンネルを削除',
        ko: '목록에서 채널 빼기',
        'es-ES': 'Quita un canal de la lista',
      },
    },
    'channels remove channel': { description: CHANNEL },
    'channels clear': {
      description: {
        'zh-CN': '重新允许在所有频道使用 /vidu',
        ja: 'すべてのチャンネルで /vidu を再び許可',
        ko: '모든 채널에서 /vidu 다시 허용',
        'es-ES': 'Vuelve a permitir /vidu en todas partes',
      },
    },
    roles: {
      description: {
        'zh-CN': '可以使用 /vidu 的身份组（不设置 = 所有人）',
        ja: '/vidu を使えるロール（未設定 = 全員）',
        ko: '/vidu를 쓸 수 있는 역할(없음 = 모두)',
        'es-ES': 'Roles que pueden usar /vidu (ninguno = todos)',
      },
    },
    'roles allow': {
      description: { 'zh-CN': '允许某个身份组', ja: 'ロールを許可', ko: '역할 허용', 'es-ES': 'Permite un rol' },
    },
    'roles allow role': { description: ROLE },
    'roles remove': {
      description: {
        'zh-CN': '从列表中移除身份组',
        ja: 'リストからロールを削除',
        ko: '목록에서 역할 빼기',
        'es-ES': 'Quita un rol de la lista',
      },
    },
    'roles remove role': { description: ROLE },
    'roles clear': {
      description: {
        'zh-CN': '重新允许所有人使用 /vidu',
        ja: '全員が再び /vidu を使えるようにする',
        ko: '모두가 /vidu를 다시 쓸 수 있게 하기',
        'es-ES': 'Vuelve a dejar que todos usen /vidu',
      },
    },
    defaults: {
      description: {
        'zh-CN': '成员未填写的选项的默认值',
        ja: 'メンバーが省略したオプションの既定値',
        ko: '멤버가 비워 둔 옵션의 기본값',
        'es-ES': 'Valores por defecto de las opciones que los miembros omiten',
      },
    },
    'defaults model': {
      description: { 'zh-CN': '默认模型', ja: '既定のモデル', ko: '기본 모델', 'es-ES': 'Modelo por defecto' },
    },
    'defaults resolution': {
      description: { 'zh-CN': '默认分辨率', ja: '既定の解像度', ko: '기본 해상도', 'es-ES': 'Resolución por defecto' },
    },
    'defaults duration': {
      description: {
        'zh-CN': '默认时长（秒）',
        ja: '既定の長さ（秒）',
        ko: '기본 길이(초)',
        'es-ES': 'Duración por defecto en segundos',
      },
    },
    'defaults reset': {
      description: {
        'zh-CN': '先清除所有默认值',
        ja: '先に既定値をすべて消去',
        ko: '먼저 모든 기본값 지우기',
        'es-ES': 'Borra antes todos los valores por defecto',
      },
    },
    caps: {
      description: {
        'zh-CN': '成员可请求内容的上限',
        ja: 'メンバーが指定できる内容の上限',
        ko: '멤버가 요청할 수 있는 상한',
        'es-ES': 'Topes a lo que pueden pedir los miembros',
      },
    },
    'caps models': {
      description: {
        'zh-CN': '允许的模型，用逗号分隔（如 viduq3-turbo,viduq3）',
        ja: '許可するモデル（カンマ区切り、例: viduq3-turbo,viduq3）',
        ko: '허용할 모델, 쉼표로 구분(예: viduq3-turbo,viduq3)',
        'es-ES': 'Modelos permitidos, separados por comas (p. ej. viduq3-turbo,viduq3)',
      },
    },
    'caps max_resolution': {
      description: { 'zh-CN': '最高分辨率', ja: '最大解像度', ko: '최대 해상도', 'es-ES': 'Resolución máxima' },
    },
    'caps max_duration': {
      description: {
        'zh-CN': '最长视频时长（秒）',
        ja: '動画の最大の長さ（秒）',
        ko: '최대 영상 길이(초)',
        'es-ES': 'Duración máxima del vídeo en segundos',
      },
    },
    'caps reset': {
      description: {
        'zh-CN': '先移除所有上限',
        ja: '先に上限をすべて解除',
        ko: '먼저 모든 상한 없애기',
        'es-ES': 'Quita antes todos los topes',
      },
    },
    limits: {
      description: {
        'zh-CN': '以加权视频秒计的每日限额，以及冷却时间（0 = 关闭）',
        ja: '重み付き動画秒での 1 日の上限とクールダウン（0 = オフ）',
        ko: '가중 영상초 기준 일일 한도와 대기 시간(0 = 끔)',
        'es-ES': 'Límites diarios en segundos de vídeo ponderados y espera entre trabajos (0 = desactivado)',
      },
    },
    'limits member_daily': {
      description: {
        'zh-CN': '每位成员每天（UTC）',
        ja: 'メンバーごと・1 日あたり（UTC）',
        ko: '멤버당 하루(UTC)',
        'es-ES': 'Por miembro y día (UTC)',
      },
    },
    'limits server_daily': {
      description: {
        'zh-CN': '整个服务器每天（UTC）',
        ja: 'サーバー全体・1 日あたり（UTC）',
        ko: '서버 전체 하루(UTC)',
        'es-ES': 'Todo el servidor por día (UTC)',
      },
    },
    'limits cooldown': {
      description: {
        'zh-CN': '同一成员两次任务之间的秒数',
        ja: '同じメンバーのジョブ間の秒数',
        ko: '한 멤버의 두 작업 사이 간격(초)',
        'es-ES': 'Segundos entre dos trabajos de un miembro',
      },
    },
    replies: {
      description: {
        'zh-CN': '公开回复，或仅成员本人可见的私密回复',
        ja: '公開の返信、または本人だけに見える非公開の返信',
        ko: '공개 답장 또는 본인만 보는 비공개 답장',
        'es-ES': 'Respuestas públicas o privadas que solo ve el miembro',
      },
    },
    'replies visibility': {
      description: { 'zh-CN': '公开或私密', ja: '公開または非公開', ko: '공개 또는 비공개', 'es-ES': 'públicas o privadas' },
      choices: {
        public: fromCatalog((locale) => t(locale, 'admin.replies.public')),
        private: fromCatalog((locale) => t(locale, 'admin.replies.private')),
      },
    },
    off_peak: {
      description: {
        'zh-CN': '错峰生成（48 小时内完成，消耗更少额度）：由成员选择、禁止或强制',
        ja: 'オフピーク生成（48 時間以内、クレジット少なめ）: メンバーが選択・禁止・強制',
        ko: '오프피크 생성(48시간 안에, 더 적은 크레딧): 멤버 선택, 금지 또는 강제',
        'es-ES': 'Generación en horas valle (en 48 h, menos créditos): que elijan los miembros, prohibirla o forzarla',
      },
    },
    'off_peak policy': {
      description: { 'zh-CN': 'allow、forbid 或 force', ja: 'allow・forbid・force', ko: 'allow, forbid 또는 force', 'es-ES': 'allow, forbid o force' },
      choices: {
        allow: { 'zh-CN': 'allow — 由成员选择', ja: 'allow — メンバーが選択', ko: 'allow — 멤버가 선택', 'es-ES': 'allow — eligen los miembros' },
        forbid: { 'zh-CN': 'forbid — 从不错峰', ja: 'forbid — オフピークにしない', ko: 'forbid — 오프피크 안 함', 'es-ES': 'forbid — nunca en horas valle' },
        force: {
          'zh-CN': 'force — 所有视频都错峰',
          ja: 'force — すべての動画をオフピーク',
          ko: 'force — 모든 영상을 오프피크로',
          'es-ES': 'force — todos los vídeos en horas valle',
        },
      },
    },
    alerts: {
      description: {
        'zh-CN': '向管理员发送提醒的位置（如额度用完）；留空 = 私信所有者',
        ja: '管理者への通知先（例: クレジット不足）。空欄 = オーナーに DM',
        ko: '관리자 알림을 보낼 곳(예: 크레딧 부족). 비우면 소유자에게 DM',
        'es-ES': 'Dónde avisar a los admins (p. ej. sin créditos); vacío = MD al propietario',
      },
    },
    'alerts channel': {
      description: { 'zh-CN': '提醒频道', ja: '通知チャンネル', ko: '알림 채널', 'es-ES': 'Canal de avisos' },
    },
  },

  'vidu-subjects': {
    '': {
      description: {
        'zh-CN': '你保存的 @主体：提示词写 @名称 时 /vidu（viduq3）使用的图片',
        ja: '保存した @主体: プロンプトに @名前 と書くと /vidu（viduq3）が使う画像',
        ko: '저장한 @주체: 프롬프트에 @이름을 쓰면 /vidu(viduq3)가 쓰는 이미지',
        'es-ES': 'Tus @sujetos guardados: imágenes que /vidu (viduq3) usa cuando el prompt nombra @nombre',
      },
    },
    add: {
      description: {
        'zh-CN': `保存主体：一个名称和 1–${MAX_LIBRARY_SUBJECT_IMAGES} 张图片（会打开上传表单）`,
        ja: `主体を保存: 名前と画像 1〜${MAX_LIBRARY_SUBJECT_IMAGES} 枚（アップロード用のフォームが開きます）`,
        ko: `주체 저장: 이름과 이미지 1–${MAX_LIBRARY_SUBJECT_IMAGES}장(업로드 양식이 열려요)`,
        'es-ES': `Guarda un sujeto: un nombre y de 1 a ${MAX_LIBRARY_SUBJECT_IMAGES} imágenes (se abre un formulario para subirlas)`,
      },
    },
    'add name': {
      description: {
        'zh-CN': '在提示词中以 @名称 使用的名称：字母、数字、_ 或 -',
        ja: 'プロンプトで @名前 として使う名前: 文字、数字、_ または -',
        ko: '프롬프트에서 @이름으로 쓸 이름: 문자, 숫자, _ 또는 -',
        'es-ES': 'Nombre para usar en prompts como @nombre: letras, dígitos, _ o -',
      },
    },
    list: {
      description: { 'zh-CN': '显示你保存的主体', ja: '保存した主体を表示', ko: '저장한 주체 보기', 'es-ES': 'Muestra tus sujetos guardados' },
    },
    show: {
      description: {
        'zh-CN': '显示一个已保存主体的图片',
        ja: '保存した主体の画像を表示',
        ko: '저장한 주체의 이미지 보기',
        'es-ES': 'Muestra las imágenes de un sujeto guardado',
      },
    },
    'show name': { description: WHICH_SUBJECT },
    remove: {
      description: { 'zh-CN': '删除一个已保存的主体', ja: '保存した主体を削除', ko: '저장한 주체 삭제', 'es-ES': 'Elimina un sujeto guardado' },
    },
    'remove name': { description: WHICH_SUBJECT },
  },

  'vidu-jobs': {
    '': {
      description: {
        'zh-CN': '你最近的 /vidu 任务：状态、提示词和每个结果的链接（仅你可见）',
        ja: '最近の /vidu ジョブ: 状態、プロンプト、各結果へのリンク（自分だけに表示）',
        ko: '최근 /vidu 작업: 상태, 프롬프트, 각 결과 링크(나만 볼 수 있어요)',
        'es-ES': 'Tus trabajos recientes de /vidu: estado, prompt y enlace a cada resultado (solo los ves tú)',
      },
    },
  },

  'vidu-show': {
    '': {
      description: {
        'zh-CN': '在这里重新发布你已完成的视频（未能送达时使用）',
        ja: '完成した自分の動画をここに再投稿（届けられなかったときに）',
        ko: '완성된 내 영상을 여기에 다시 게시(전달되지 못했을 때)',
        'es-ES': 'Vuelve a publicar aquí un vídeo tuyo terminado (si no se pudo entregar)',
      },
    },
    id: {
      description: {
        'zh-CN': '任务 ID（建议列表会显示你最近的任务）',
        ja: 'ジョブ ID（候補に最近のジョブが表示されます）',
        ko: '작업 ID(추천 목록에 최근 작업이 표시돼요)',
        'es-ES': 'El id del trabajo (las sugerencias muestran tus trabajos recientes)',
      },
    },
  },

  // ---- member features (issue 12) ----
  'vidu-settings': {
    '': {
      description: {
        'zh-CN': '你自己的 /vidu 默认设置：模型、时长、分辨率、音频、提醒…',
        ja: '自分用の /vidu デフォルト設定：モデル、長さ、解像度、音声、メンション…',
        ko: '내 /vidu 기본 설정: 모델, 길이, 해상도, 오디오, 멘션…',
        'es-ES': 'Tus valores predeterminados de /vidu: modelo, duración, resolución, audio, avisos…',
      },
    },
  },

  'vidu-storyboard': {
    '': {
      description: {
        'zh-CN': '在表单中写最多五个镜头，生成一个多镜头的 viduq3-pro 视频',
        ja: '最大 5 つのショットをフォームに書き、1 本のマルチショット viduq3-pro 動画に',
        ko: '양식에 숏을 최대 다섯 개 적어 멀티숏 viduq3-pro 영상 하나로 만들어요',
        'es-ES': 'Hasta cinco planos en un formulario, convertidos en un vídeo multiplano de viduq3-pro',
      },
    },
    duration: {
      description: {
        'zh-CN': '时长（秒）：1–16（默认：你的设置，否则 5）',
        ja: '長さ（秒）：1–16（デフォルト：あなたの設定、なければ 5）',
        ko: '길이(초): 1–16 (기본: 내 설정, 없으면 5)',
        'es-ES': 'Duración en segundos: 1–16 (predeterminada: la tuya, si no 5)',
      },
    },
    resolution: {
      description: { 'zh-CN': '输出分辨率', ja: '出力解像度', ko: '출력 해상도', 'es-ES': 'Resolución de salida' },
    },
  },

  'vidu-story': {
    '': {
      description: {
        'zh-CN': '最多六个片段，每段从上一段的最后一帧开始，拼接成一个视频',
        ja: '最大 6 クリップ。各クリップは前のクリップの最後のフレームから始まり、1 本の動画につながります',
        ko: '최대 여섯 클립, 각 클립은 앞 클립의 마지막 프레임에서 시작해 영상 하나로 이어져요',
        'es-ES': 'Hasta seis clips, cada uno desde el último fotograma del anterior, unidos en un vídeo',
      },
    },
    prompt1: {
      description: {
        'zh-CN': '第 1 段发生什么',
        ja: 'クリップ 1 で何が起きるか',
        ko: '클립 1에서 일어나는 일',
        'es-ES': 'Qué pasa en el clip 1',
      },
    },
    prompt2: {
      description: {
        'zh-CN': '第 2 段发生什么',
        ja: 'クリップ 2 で何が起きるか',
        ko: '클립 2에서 일어나는 일',
        'es-ES': 'Qué pasa en el clip 2',
      },
    },
    prompt3: {
      description: {
        'zh-CN': '第 3 段发生什么（可选）',
        ja: 'クリップ 3 で何が起きるか（任意）',
        ko: '클립 3에서 일어나는 일 (선택)',
        'es-ES': 'Qué pasa en el clip 3 (opcional)',
      },
    },
    prompt4: {
      description: {
        'zh-CN': '第 4 段发生什么（可选）',
        ja: 'クリップ 4 で何が起きるか（任意）',
        ko: '클립 4에서 일어나는 일 (선택)',
        'es-ES': 'Qué pasa en el clip 4 (opcional)',
      },
    },
    prompt5: {
      description: {
        'zh-CN': '第 5 段发生什么（可选）',
        ja: 'クリップ 5 で何が起きるか（任意）',
        ko: '클립 5에서 일어나는 일 (선택)',
        'es-ES': 'Qué pasa en el clip 5 (opcional)',
      },
    },
    prompt6: {
      description: {
        'zh-CN': '第 6 段发生什么（可选）',
        ja: 'クリップ 6 で何が起きるか（任意）',
        ko: '클립 6에서 일어나는 일 (선택)',
        'es-ES': 'Qué pasa en el clip 6 (opcional)',
      },
    },
    model: {
      description: {
        'zh-CN': '所有片段使用的模型（默认：你的设置，否则 viduq3-turbo）',
        ja: '全クリップのモデル（デフォルト：あなたの設定、なければ viduq3-turbo）',
        ko: '모든 클립의 모델 (기본: 내 설정, 없으면 viduq3-turbo)',
        'es-ES': 'Modelo de todos los clips (predeterminado: el tuyo, si no viduq3-turbo)',
      },
    },
    duration: {
      description: {
        'zh-CN': '每段时长（秒）：1–16（默认：你的设置，否则 5）',
        ja: '各クリップの長さ（秒）：1–16（デフォルト：あなたの設定、なければ 5）',
        ko: '클립마다 길이(초): 1–16 (기본: 내 설정, 없으면 5)',
        'es-ES': 'Duración de cada clip en segundos: 1–16 (predeterminada: la tuya, si no 5)',
      },
    },
    resolution: {
      description: { 'zh-CN': '输出分辨率', ja: '出力解像度', ko: '출력 해상도', 'es-ES': 'Resolución de salida' },
    },
    aspect_ratio: {
      description: {
        'zh-CN': '第一段的宽高比，例如 16:9（后面的片段沿用）',
        ja: '最初のクリップの縦横比（例：16:9）。後のクリップはそれに従います',
        ko: '첫 클립의 화면비(예: 16:9), 뒤 클립은 이를 따라요',
        'es-ES': 'Proporción W:H del primer clip, como 16:9 (los siguientes la siguen)',
      },
    },
    audio: {
      description: {
        'zh-CN': '语音和音效（默认开启）',
        ja: '音声と効果音（デフォルトはオン）',
        ko: '음성과 효과음 (기본 켜짐)',
        'es-ES': 'Voz y efectos de sonido (activado por defecto)',
      },
    },
  },

  'Animate with Vidu': {
    '': { name: fromCatalog((locale) => t(locale, 'animate.commandName')) },
  },
};

/** Discord locales that show another locale's text (Latin American Spanish reads es-ES). */
const ALSO: Readonly<Partial<Record<Exclude<Locale, 'en-US'>, readonly string[]>>> = { 'es-ES': ['es-419'] };

function toMap(text: Translated): LocalizationMap {
  const map: Record<string, string> = {};
  for (const locale of TRANSLATED) {
    map[locale] = text[locale];
    for (const alias of ALSO[locale] ?? []) map[alias] = text[locale];
  }
  return map;
}

/** The JSON shape shared by commands, options and choices, as far as localization goes. */
interface Node {
  name: string;
  name_localizations?: LocalizationMap;
  description_localizations?: LocalizationMap;
  options?: Node[];
  choices?: { name: string; name_localizations?: LocalizationMap; value: string | number }[];
}

function localizeNode(node: Node, entry: Entry | undefined, path: string, table: Readonly<Record<string, Entry>>): Node {
  const out: Node = { ...node };
  if (entry?.name) out.name_localizations = toMap(entry.name);
  if (entry?.description) out.description_localizations = toMap(entry.description);
  if (node.choices && entry?.choices) {
    const choices = entry.choices;
    out.choices = node.choices.map((c) => {
      const names = choices[String(c.value)];
      return names ? { ...c, name_localizations: toMap(names) } : c;
    });
  }
  if (node.options) {
    out.options = node.options.map((o) => {
      const child = path ? `${path} ${o.name}` : o.name;
      return localizeNode(o, table[child], child, table);
    });
  }
  return out;
}

/**
 * `command` with `name_localizations` / `description_localizations` (and choices' name
 * localizations) from {@link COMMAND_LOCALIZATIONS}; a command without an entry is returned as is.
 */
export function localizeCommand(command: RESTPostAPIApplicationCommandsJSONBody): RESTPostAPIApplicationCommandsJSONBody {
  const table = COMMAND_LOCALIZATIONS[command.name];
  if (!table) return command;
  return localizeNode(command as unknown as Node, table[''], '', table) as unknown as RESTPostAPIApplicationCommandsJSONBody;
}
