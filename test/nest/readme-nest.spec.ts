// The README's NestJS section, kept runnable: if this breaks, the README is wrong too.
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Observable } from 'rxjs';
import {
  Discoverable,
  InjectListing,
  ReceptionistModule,
  ReceptionistService,
  ServiceKey,
  type ActorContext,
  type ActorHandler,
  type ActorRef,
  type Listing,
} from '../../lib/index.js';
import { until } from '../support/eventually.js';

class ProcessPayment {
  constructor(
    readonly amount: number,
    readonly replyTo: ActorRef<string>,
  ) {}
}
type ChatMsg = { text: string };
const PAYMENT_KEY = ServiceKey.of<ProcessPayment>('payment');
const CHAT_KEY = ServiceKey.of<ChatMsg>('chat');

@Injectable()
class Ledger {
  total = 0;
}

@Injectable()
class PaymentHandler {
  constructor(private readonly ledger: Ledger) {}

  @Discoverable(PAYMENT_KEY) // this method handles the messages of one actor
  async onPayment(msg: ProcessPayment, ctx: ActorContext<ProcessPayment>) {
    this.ledger.total += msg.amount;
    msg.replyTo.tell(`charged ${msg.amount} by ${ctx.self.path}`);
  }
}

@Discoverable(CHAT_KEY) // on a class: receive() handles the messages
@Injectable()
class LobbyChat implements ActorHandler<ChatMsg> {
  readonly said: string[] = [];
  receive(msg: ChatMsg) {
    this.said.push(msg.text);
  }
}

@Injectable()
class Checkout {
  constructor(
    private readonly receptionist: ReceptionistService,
    @InjectListing(CHAT_KEY) readonly chats$: Observable<Listing<ChatMsg>>, // now, then every change
  ) {}

  async pay(amount: number): Promise<string> {
    const [processor] = (await this.receptionist.find(PAYMENT_KEY)).refs;
    return this.receptionist.ask(processor, replyTo => new ProcessPayment(amount, replyTo));
  }
}

@Module({
  imports: [ReceptionistModule.forRoot({ systemName: 'shop' }), ReceptionistModule.forFeature([CHAT_KEY])],
  providers: [Ledger, PaymentHandler, LobbyChat, Checkout],
})
class AppModule {}

it('README NestJS section: discoverable handlers, find, ask and an injected listing', async () => {
  const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
  await app.init();
  const checkout = app.get(Checkout);
  const chats: number[] = [];
  checkout.chats$.subscribe(listing => chats.push(listing.refs.length));

  expect(await checkout.pay(100)).toBe('charged 100 by /user/PaymentHandler.onPayment');
  await until(() => chats.at(-1) === 1, 'the lobby in the chat listing');
  (await app.get(ReceptionistService).find(CHAT_KEY)).refs[0].tell({ text: 'hi' });
  await until(() => app.get(LobbyChat).said.length === 1, 'the lobby to get the message');

  await app.close();
  expect(chats.at(-1)).toBe(0);
});
