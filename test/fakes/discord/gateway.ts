/**
 * The fake gateway (v10, JSON, no compression): HELLO, heartbeats, IDENTIFY with Discord's close
 * codes (bad token, invalid shard, disallowed intents), READY + GUILD_CREATE per shard, RESUME,
 * and the dispatches tests inject. https://discord.com/developers/docs/events/gateway
 */
import { randomBytes } from 'node:crypto';
import { GatewayCloseCodes, GatewayIntentBits, GatewayOpcodes } from 'discord-api-types/v10';
import { WebSocket } from 'ws';
import { DEFAULTS, type DiscordState } from './state.js';
import { asEnum, asRecord } from './util.js';
import { guildCreatePayload } from './wire.js';

const PRIVILEGED_INTENTS = GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildPresences | GatewayIntentBits.MessageContent;

interface GatewayConnection {
  ws: WebSocket;
  shardId: number | null;
  shardCount: number;
  sessionId: string | null;
  ready: boolean;
  query: URLSearchParams;
}

interface SessionState {
  sessionId: string;
  shardId: number;
  shardCount: number;
  seq: number;
}

export class FakeGateway {
  private readonly connections = new Set<GatewayConnection>();
  private readonly sessions = new Map<string, SessionState>();

  constructor(private readonly s: DiscordState) {}

  /** Shard ids with a READY connection, ascending. */
  get connectedShards(): number[] {
    return [...this.connections]
      .filter((c) => c.ready && c.shardId !== null && c.ws.readyState === WebSocket.OPEN)
      .map((c) => c.shardId as number)
      .sort((a, b) => a - b);
  }

  /** Closes connections (all, or one shard's) with a close code; sessions are kept for RESUME. */
  disconnect(options: { shardId?: number; code?: number }): void {
    for (const connection of this.connections) {
      if (options.shardId === undefined || connection.shardId === options.shardId) {
        connection.ws.close(options.code ?? GatewayCloseCodes.UnknownError, 'FakeDiscord disconnect');
      }
    }
  }

  /** Drops every socket at once (closing the fake). */
  terminateAll(): void {
    for (const connection of this.connections) connection.ws.terminate();
    this.connections.clear();
  }

  readyConnection(shardId: number): GatewayConnection | undefined {
    return [...this.connections].find((c) => c.ready && c.shardId === shardId && c.ws.readyState === WebSocket.OPEN);
  }

  async dispatchToGuild(guildId: string, event: string, data: unknown): Promise<void> {
    const connection = this.readyConnection(this.s.shardFor(guildId));
    if (connection) await this.sendDispatch(connection, event, data);
  }

  private sendRaw(connection: GatewayConnection, payload: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      if (connection.ws.readyState !== WebSocket.OPEN) {
        reject(new Error('FakeDiscord: gateway socket is not open'));
        return;
      }
      connection.ws.send(JSON.stringify(payload), (error) => (error ? reject(error) : resolve()));
    });
  }

  sendDispatch(connection: GatewayConnection, event: string, data: unknown): Promise<void> {
    const session = connection.sessionId ? this.sessions.get(connection.sessionId) : undefined;
    const s = session ? ++session.seq : null;
    return this.sendRaw(connection, { op: GatewayOpcodes.Dispatch, t: event, s, d: data });
  }

  onConnection(ws: WebSocket, query: URLSearchParams): void {
    const connection: GatewayConnection = { ws, shardId: null, shardCount: 1, sessionId: null, ready: false, query };
    this.connections.add(connection);
    ws.on('close', () => {
      this.connections.delete(connection);
      this.s.changed();
    });
    ws.on('error', () => undefined);
    ws.on('message', (raw) => {
      this.onGatewayMessage(connection, new TextDecoder().decode(Array.isArray(raw) ? Buffer.concat(raw) : raw)).catch((error: unknown) => {
        this.s.internalErrors.push(error instanceof Error ? error : new Error(String(error)));
      });
    });
    void this.sendRaw(connection, {
      op: GatewayOpcodes.Hello,
      s: null,
      t: null,
      d: { heartbeat_interval: this.s.options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs },
    }).catch(() => undefined);
  }

  private async onGatewayMessage(connection: GatewayConnection, text: string): Promise<void> {
    let payload: { op?: number; d?: unknown };
    try {
      payload = JSON.parse(text) as { op?: number; d?: unknown };
    } catch {
      connection.ws.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
      return;
    }
    const op = asEnum(GatewayOpcodes, Number(payload.op));
    this.s.gatewayReceived.push({ atMs: this.s.now(), op, d: payload.d });
    switch (op) {
      case GatewayOpcodes.Heartbeat:
        await this.sendRaw(connection, { op: GatewayOpcodes.HeartbeatAck, s: null, t: null, d: null });
        return;
      case GatewayOpcodes.Identify:
        await this.onIdentify(connection, asRecord(payload.d));
        return;
      case GatewayOpcodes.Resume:
        await this.onResume(connection, asRecord(payload.d));
        return;
      default:
        if (!connection.ready) connection.ws.close(GatewayCloseCodes.NotAuthenticated, 'Not authenticated.');
    }
  }

  private async onIdentify(connection: GatewayConnection, d: Record<string, unknown>): Promise<void> {
    const intents = Number(d.intents ?? 0);
    const shardArray = Array.isArray(d.shard) ? d.shard : [0, 1];
    const shard: [number, number] = [Number(shardArray[0] ?? 0), Number(shardArray[1] ?? 1)];
    const tokenValid = d.token === this.s.botToken || d.token === `Bot ${this.s.botToken}`;
    this.s.identifies.push({
      atMs: this.s.now(),
      intents,
      shard,
      tokenValid,
      properties: d.properties,
      compress: d.compress,
      largeThreshold: d.large_threshold,
      presence: d.presence,
    });
    this.s.changed();
    if (connection.ready) {
      connection.ws.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
      return;
    }
    if (!tokenValid) {
      connection.ws.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
      return;
    }
    if (shard[1] !== this.s.shardCount || shard[0] < 0 || shard[0] >= shard[1]) {
      connection.ws.close(GatewayCloseCodes.InvalidShard, 'Invalid shard.');
      return;
    }
    const allowedPrivileged = this.s.options.privilegedIntents ?? DEFAULTS.privilegedIntents;
    if ((intents & PRIVILEGED_INTENTS & ~allowedPrivileged) !== 0) {
      connection.ws.close(GatewayCloseCodes.DisallowedIntents, 'Disallowed intent(s).');
      return;
    }
    const sessionId = randomBytes(16).toString('hex');
    this.sessions.set(sessionId, { sessionId, shardId: shard[0], shardCount: shard[1], seq: 0 });
    connection.sessionId = sessionId;
    connection.shardId = shard[0];
    connection.shardCount = shard[1];
    const guilds = [...this.s.guilds.values()].filter((g) => g.botMember && this.s.shardFor(g.id) === shard[0]);
    await this.sendDispatch(connection, 'READY', {
      v: 10,
      user: this.s.botUser(),
      user_settings: {},
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      private_channels: [],
      presences: [],
      relationships: [],
      guild_join_requests: [],
      session_type: 'normal',
      session_id: sessionId,
      resume_gateway_url: this.s.gatewayUrl,
      shard,
      application: { id: this.s.applicationId, flags: 0 },
      geo_ordered_rtc_regions: [],
      auth_session_id_hash: '',
      _trace: ['["fake-discord",{}]'],
    });
    for (const guild of guilds) await this.sendDispatch(connection, 'GUILD_CREATE', guildCreatePayload(this.s, guild));
    connection.ready = true;
    this.s.changed();
  }

  private async onResume(connection: GatewayConnection, d: Record<string, unknown>): Promise<void> {
    const session = typeof d.session_id === 'string' ? this.sessions.get(d.session_id) : undefined;
    const tokenValid = d.token === this.s.botToken || d.token === `Bot ${this.s.botToken}`;
    if (!session || !tokenValid) {
      await this.sendRaw(connection, { op: GatewayOpcodes.InvalidSession, s: null, t: null, d: false });
      return;
    }
    for (const other of this.connections) {
      if (other !== connection && other.sessionId === session.sessionId) other.ws.terminate();
    }
    connection.sessionId = session.sessionId;
    connection.shardId = session.shardId;
    connection.shardCount = session.shardCount;
    // Missed events are not replayed: the fake only sends what tests inject.
    await this.sendDispatch(connection, 'RESUMED', {});
    connection.ready = true;
    this.s.changed();
  }
}
