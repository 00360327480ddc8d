/** Class-level @Discoverable: the provider's receive() handles every message of its actor. */
import { Injectable, Logger } from '@nestjs/common';
import { Discoverable, type ActorHandler } from '../../lib/index.js';
import { AUDIT_KEY, type AuditEntry } from './payment.messages.js';

@Discoverable(AUDIT_KEY)
@Injectable()
export class AuditLog implements ActorHandler<AuditEntry> {
  private readonly logger = new Logger(AuditLog.name);

  receive(entry: AuditEntry): void {
    this.logger.log(`audit: ${entry.text}`);
  }
}
