/** The first chat handler: a provider made discoverable at class level. */
import { Injectable, Logger } from '@nestjs/common';
import { Discoverable, type ActorHandler } from '../../lib/index.js';
import { CHAT_KEY, type ChatMsg } from './chat.messages.js';

@Discoverable(CHAT_KEY)
@Injectable()
export class LobbyChat implements ActorHandler<ChatMsg> {
  private readonly logger = new Logger(LobbyChat.name);

  receive(msg: ChatMsg): void {
    this.logger.log(`[lobby] ${msg.from}: ${msg.text}`);
  }
}
