import { z } from 'zod';
import { CorruptValueError } from '../errors';
import { assertTeamId, auditKey } from './keys';
import { storeCommand } from './redis-errors';
import type { RedisClient } from './redis-client';

/** Entries kept per workspace; older ones are trimmed as new ones come. */
export const AUDIT_MAX_ENTRIES = 1000;

export const AUDIT_ACTIONS = [
  'setup',
  'check_and_save',
  'verify',
  'remove',
  'monitor_alert',
  'monitor_recovery',
  // Someone was added to, or removed from, the workspace's admins (OAuth mode); `bucket` is empty
  // and `outcome` names the person.
  'admin_added',
  'admin_removed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The actor of what the Workflow Builder step did: a workflow has no person. */
export const WORKFLOW_ACTOR = 'workflow';

/** Who did what to which bucket, when, and how it ended. Never holds a challenge name. */
export const auditEntrySchema = z.object({
  at: z.string(),
  /** A Slack user id, `monitor`, `uninstall` (the purge) or `workflow` (the Workflow Builder step). */
  actor: z.string().min(1),
  action: z.enum(AUDIT_ACTIONS),
  bucket: z.string(),
  /** One line: "All checks passed", "Failed: Challenge file", "removed", … */
  outcome: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** A workspace's audit trail, newest last. */
export interface AuditStore {
  append(teamId: string, entry: AuditEntry): Promise<void>;
  /** The newest `count` entries, newest first. */
  recent(teamId: string, count: number): Promise<AuditEntry[]>;
}

/** A Redis stream per workspace, trimmed to AUDIT_MAX_ENTRIES by XADD itself. */
export class RedisAuditStore implements AuditStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly onCorrupt: (error: CorruptValueError) => void = () => undefined,
  ) {}

  async append(teamId: string, entry: AuditEntry): Promise<void> {
    const key = auditKey(teamId);
    await storeCommand(key, () =>
      this.redis.xadd(
        key,
        'MAXLEN',
        String(AUDIT_MAX_ENTRIES),
        '*',
        'entry',
        JSON.stringify(entry),
      ),
    );
  }

  async recent(teamId: string, count: number): Promise<AuditEntry[]> {
    const key = auditKey(teamId);
    const rows = await storeCommand(key, () => this.redis.xrevrange(key, '+', '-', 'COUNT', count));
    const entries: AuditEntry[] = [];
    for (const [id, fields] of rows) {
      const raw = fields[fields.indexOf('entry') + 1];
      const parsed = safeParse(raw);
      if (parsed) entries.push(parsed);
      else this.onCorrupt(new CorruptValueError(`${key} ${id}`, raw));
    }
    return entries;
  }
}

function safeParse(raw: string | undefined): AuditEntry | undefined {
  try {
    const parsed = auditEntrySchema.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The audit trail in memory, capped the same way. */
export class MemoryAuditStore implements AuditStore {
  private readonly byTeam = new Map<string, AuditEntry[]>();

  async append(teamId: string, entry: AuditEntry): Promise<void> {
    assertTeamId(teamId);
    const entries = this.byTeam.get(teamId) ?? [];
    entries.push(structuredClone(entry));
    if (entries.length > AUDIT_MAX_ENTRIES) entries.splice(0, entries.length - AUDIT_MAX_ENTRIES);
    this.byTeam.set(teamId, entries);
  }

  async recent(teamId: string, count: number): Promise<AuditEntry[]> {
    assertTeamId(teamId);
    return (this.byTeam.get(teamId) ?? [])
      .slice(-count)
      .reverse()
      .map((e) => structuredClone(e));
  }
}
