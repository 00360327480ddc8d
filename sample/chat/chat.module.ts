import { Module } from '@nestjs/common';
import { ReceptionistModule } from '../../lib/index.js';
import { ChatRooms } from './chat-rooms.service.js';
import { CHAT_KEY } from './chat.messages.js';
import { LobbyChat } from './lobby.handler.js';
import { PresenceMonitor } from './presence.monitor.js';

@Module({
  imports: [ReceptionistModule.forFeature([CHAT_KEY])],
  providers: [LobbyChat, ChatRooms, PresenceMonitor],
  exports: [ChatRooms, PresenceMonitor],
})
export class ChatModule {}
