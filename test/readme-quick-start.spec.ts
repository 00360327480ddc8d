// The README's quick start, kept runnable: if this breaks, the README is wrong too.
import { ActorSystem, Behaviors, ServiceKey, type ActorRef, type Behavior } from '../lib/index.js';

class ProcessPayment {
  constructor(
    readonly amount: number,
    readonly replyTo: ActorRef<string>,
  ) {}
}
const PAYMENT_KEY = ServiceKey.of<ProcessPayment>('payment');

function paymentActor(): Behavior<ProcessPayment> {
  return Behaviors.receive(async (ctx, msg) => {
    ctx.log.log(`charging ${msg.amount}`);
    msg.replyTo.tell(`charged ${msg.amount}`);
    return Behaviors.same;
  });
}

it('README quick start: spawn a discoverable actor, look it up, ask it', async () => {
  const receipts: string[] = [];
  {
    await using system = ActorSystem.create('shop', { logLevel: 'warn' });
    system.spawn(Behaviors.discoverable(paymentActor(), PAYMENT_KEY), 'payment');
    const listing = await system.lookup(PAYMENT_KEY);
    for (const ref of listing.refs) {
      const receipt: string = await system.ask(ref, r => new ProcessPayment(100, r), 2000);
      receipts.push(receipt);
    }
  }
  expect(receipts).toEqual(['charged 100']);
});
