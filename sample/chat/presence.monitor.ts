/** Logs chat handlers joining and leaving, from the injected listing of CHAT_KEY. */
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { InjectListing, type ActorRef, type Listing } from '../../lib/index.js';
import { CHAT_KEY, type ChatMsg } from './chat.messages.js';

@Injectable()
export class PresenceMonitor implements OnModuleInit {
  private readonly logger = new Logger(PresenceMonitor.name);
  private online = new Map<string, ActorRef<ChatMsg>>();

  constructor(@InjectListing(CHAT_KEY) private readonly chats$: Observable<Listing<ChatMsg>>) {}

  get onlineCount(): number {
    return this.online.size;
  }

  onModuleInit(): void {
    // No unsubscribe needed: the stream completes when the application shuts down.
    this.chats$.subscribe({
      next: listing => this.update(listing),
      complete: () => this.logger.log('chat presence stream closed'),
    });
  }

  private update(listing: Listing<ChatMsg>): void {
    const now = new Map(listing.refs.map(ref => [ref.toString(), ref] as const));
    for (const [id, ref] of now) if (!this.online.has(id)) this.logger.log(`joined: ${ref.path}`);
    for (const [id, ref] of this.online) if (!now.has(id)) this.logger.log(`left: ${ref.path}`);
    this.online = now;
    this.logger.log(`${now.size} chat handler(s) online`);
  }
}
