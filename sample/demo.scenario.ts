/** What the sample does: a short timed demo by default, a payment every two seconds with --serve. */
import { Injectable, Logger } from '@nestjs/common';
import { Behaviors, ReceptionistService } from '../lib/index.js';
import { ChatRooms } from './chat/chat-rooms.service.js';
import { PresenceMonitor } from './chat/presence.monitor.js';
import { CheckoutService } from './payment/checkout.service.js';

/** Only so a human can follow the log; nothing waits on it for correctness. */
const pause = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

@Injectable()
export class DemoScenario {
  private readonly logger = new Logger('Demo');

  constructor(
    private readonly checkout: CheckoutService,
    private readonly chatRooms: ChatRooms,
    private readonly presence: PresenceMonitor,
    private readonly receptionist: ReceptionistService,
  ) {}

  async run(): Promise<void> {
    this.logger.log('1. checkout finds the payment processor by its key and sends it three orders');
    for (const [orderId, amount] of [['order-1', 25], ['order-2', 40], ['order-3', 12]] as const) {
      const receipt = await this.checkout.pay(orderId, amount);
      this.logger.log(`receipt for ${receipt.orderId}: ${receipt.amount} EUR by ${receipt.processedBy}, balance ${receipt.balance} EUR`);
    }
    await pause(200);

    this.logger.log('2. a message to every chat handler in the listing');
    const reached = await this.chatRooms.broadcast('alice', 'hello, everyone');
    this.logger.log(`broadcast reached ${reached} chat handler(s)`);
    await pause(200);

    this.logger.log('3. the "random" room closes; the presence monitor sees it leave');
    this.chatRooms.close('random');
    const deadline = Date.now() + 2000;
    while (this.presence.onlineCount !== 2 && Date.now() < deadline) await pause(10);
    await pause(200);

    this.logger.log('4. shutting down: every handler leaves, the listing stream completes');
  }

  /** Pays an order every two seconds from a timer actor, until the application shuts down. */
  serve(): void {
    let n = 0;
    this.receptionist.system.spawn(
      Behaviors.withTimers<'tick'>(timers => {
        timers.startPeriodicTimer('tick', 'tick', 2000, 0);
        return Behaviors.receive<'tick'>(async () => {
          const receipt = await this.checkout.pay(`order-${++n}`, 10 + (n % 5) * 5);
          this.logger.log(`receipt for ${receipt.orderId}: balance ${receipt.balance} EUR`);
        });
      }),
      'shopper',
    );
  }
}
