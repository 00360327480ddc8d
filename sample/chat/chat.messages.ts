import { ServiceKey } from '../../lib/index.js';

export class Say {
  constructor(
    readonly from: string,
    readonly text: string,
  ) {}
}

export type ChatMsg = Say;

export const CHAT_KEY = ServiceKey.of<ChatMsg>('chat');
