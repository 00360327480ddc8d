/**
 * Two more chat handlers, spawned as plain actors with Behaviors.discoverable: the way to run
 * several instances of one behavior, which a Nest provider (one instance) cannot be.
 */
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Behaviors, ReceptionistService, type ActorRef, type Behavior } from '../../lib/index.js';
import { CHAT_KEY, Say, type ChatMsg } from './chat.messages.js';

function chatRoom(room: string): Behavior<ChatMsg> {
  return Behaviors.receive<ChatMsg>((ctx, msg) => {
    ctx.log.log(`[${room}] ${msg.from}: ${msg.text}`);
  });
}

@Injectable()
export class ChatRooms implements OnApplicationBootstrap {
  private readonly rooms = new Map<string, ActorRef<ChatMsg>>();

  constructor(private readonly receptionist: ReceptionistService) {}

  onApplicationBootstrap(): void {
    for (const room of ['support', 'random']) {
      this.rooms.set(room, this.receptionist.system.spawn(Behaviors.discoverable(chatRoom(room), CHAT_KEY), `chat-${room}`));
    }
  }

  /** Stops a room's actor; the receptionist drops it from the listing by itself. */
  close(room: string): void {
    const ref = this.rooms.get(room);
    if (ref) this.receptionist.system.stop(ref);
    this.rooms.delete(room);
  }

  /** Sends to every chat handler registered now, wherever it was started; returns how many. */
  async broadcast(from: string, text: string): Promise<number> {
    const { refs } = await this.receptionist.find(CHAT_KEY);
    for (const ref of refs) ref.tell(new Say(from, text));
    return refs.length;
  }
}
