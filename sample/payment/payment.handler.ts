/** Method-level @Discoverable: this method is the payment processor actor's message handler. */
import { Injectable } from '@nestjs/common';
import { Discoverable, ReceptionistService, type ActorContext } from '../../lib/index.js';
import { Ledger } from './ledger.service.js';
import { AUDIT_KEY, AuditEntry, PAYMENT_KEY, PaymentReceipt, type ProcessPayment } from './payment.messages.js';

@Injectable()
export class PaymentHandler {
  constructor(
    private readonly ledger: Ledger,
    private readonly receptionist: ReceptionistService,
  ) {}

  @Discoverable(PAYMENT_KEY)
  async onPayment(msg: ProcessPayment, ctx: ActorContext<ProcessPayment>): Promise<void> {
    const balance = this.ledger.credit(msg.amount);
    msg.replyTo.tell(new PaymentReceipt(msg.orderId, msg.amount, balance, ctx.self.path));
    // Handlers may be async: the next payment waits until this one is done.
    const auditors = await this.receptionist.find(AUDIT_KEY);
    for (const auditor of auditors.refs) auditor.tell(new AuditEntry(`${msg.orderId}: ${msg.amount} EUR, balance ${balance} EUR`));
  }
}
