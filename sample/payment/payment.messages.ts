/** The payment protocol: what a payment processor accepts and what it answers. */
import { ServiceKey, type ActorRef } from '../../lib/index.js';

export class PaymentReceipt {
  constructor(
    readonly orderId: string,
    readonly amount: number,
    readonly balance: number,
    readonly processedBy: string,
  ) {}
}

export class ProcessPayment {
  constructor(
    readonly orderId: string,
    readonly amount: number,
    readonly replyTo: ActorRef<PaymentReceipt>,
  ) {}
}

export class AuditEntry {
  constructor(readonly text: string) {}
}

export const PAYMENT_KEY = ServiceKey.of<ProcessPayment>('payment');
export const AUDIT_KEY = ServiceKey.of<AuditEntry>('audit');
