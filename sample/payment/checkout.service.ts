/** A plain service that finds a payment processor by what it does and sends it work. */
import { Injectable } from '@nestjs/common';
import { ReceptionistService } from '../../lib/index.js';
import { PAYMENT_KEY, ProcessPayment, type PaymentReceipt } from './payment.messages.js';

@Injectable()
export class CheckoutService {
  private next = 0;

  constructor(private readonly receptionist: ReceptionistService) {}

  async pay(orderId: string, amount: number): Promise<PaymentReceipt> {
    const { refs } = await this.receptionist.find(PAYMENT_KEY);
    if (refs.length === 0) throw new Error('No payment processor is registered yet');
    const processor = refs[this.next++ % refs.length];
    return this.receptionist.ask(processor, replyTo => new ProcessPayment(orderId, amount, replyTo));
  }
}
